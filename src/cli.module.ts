import { DynamicModule, Module, Type } from '@nestjs/common';
import { CommandRunner } from 'nest-commander';
import { BLOCKS_COMMANDS } from './audit';
import { AUDIT_COMMANDS } from './audit';
import { REVIEW_COMMANDS } from './audit/review';
import type { AppConfig } from './config';
import { gatehouseFromConfig } from './core.modules';
import { MigrateCommand } from './database';
import { sharedStateBindings } from './redis';
import { PasswordQuestions, USERS_COMMANDS } from './users';

/** Every `gatehouse` command; `cli.ts` parses argv against these before any of them is built. */
export const CLI_COMMANDS: Type<CommandRunner>[] = [
  MigrateCommand,
  ...USERS_COMMANDS,
  ...BLOCKS_COMMANDS,
  ...AUDIT_COMMANDS,
  ...REVIEW_COMMANDS,
];

/** The command line: the same GatehouseModule as the server, no HTTP, no scheduler. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, options: { migrate: boolean }): DynamicModule {
    const shared = sharedStateBindings(config.redis);
    return {
      module: CliModule,
      imports: [...shared.imports, gatehouseFromConfig(config, shared, 'cli', options)],
      providers: [PasswordQuestions, ...CLI_COMMANDS],
    };
  }
}
