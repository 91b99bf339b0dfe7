import { DynamicModule, Logger, Module } from '@nestjs/common';
import { HttpPlatform } from '../common';
import { findConsoleRoot, loadConsoleFiles } from './console-files';
import { CONSOLE_FILES, consoleControllerFor } from './console.controller';

export interface ConsoleModuleOptions {
  /** The folder of the built console (index.html + assets/); default: dist/web. */
  root?: string;
  /** The HTTP platform the application runs on (route wildcards differ); default `express`. */
  platform?: 'express' | 'fastify';
}

/**
 * Serves the web console at `/`. Import it after every module with routes: its catch-all
 * route answers what nothing else did.
 */
@Module({})
export class ConsoleModule {
  static forRoot(options: ConsoleModuleOptions = {}): DynamicModule {
    const root = options.root ?? findConsoleRoot();
    if (root === undefined) {
      // Built from sources without `npm run build:web`: the API works, the console is absent.
      new Logger('Console').warn('WEB_ENABLED but no built console found (run npm run build)');
      return { module: ConsoleModule };
    }
    return {
      module: ConsoleModule,
      controllers: [consoleControllerFor(options.platform ?? 'express')],
      providers: [{ provide: CONSOLE_FILES, useValue: loadConsoleFiles(root) }, HttpPlatform],
    };
  }
}
