import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from './config';
import { gatehouseFromConfig } from './core.modules';
import { sharedStateBindings } from './redis';

/**
 * The service's command line: the same GatehouseModule as the server (mapped from AppConfig),
 * no HTTP, no scheduler. `runCommandLine` creates the commands in its scope, as it does for a
 * host's module (runGatehouseCli).
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, options: { migrate: boolean }): DynamicModule {
    const shared = sharedStateBindings(config.redis);
    return {
      module: CliModule,
      imports: [...shared.imports, gatehouseFromConfig(config, shared, 'cli', options)],
    };
  }
}
