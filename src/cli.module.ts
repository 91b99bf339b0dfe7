import { DynamicModule, Module } from '@nestjs/common';
import { AUDIT_COMMANDS } from './audit/audit.commands';
import { REVIEW_COMMANDS } from './audit/review/review.commands';
import { APP_CONFIG, AppConfig } from './config';
import { gatehouseFromConfig } from './core.modules';
import { MigrateCommand } from './database/cli/migrate.command';
import { sharedStateBindings } from './redis';
import { USERS_COMMANDS } from './users/cli/users.commands';

/** The command line: the same GatehouseModule as the server, no HTTP, no scheduler. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, options: { migrate: boolean }): DynamicModule {
    const shared = sharedStateBindings(config.redis);
    return {
      module: CliModule,
      imports: [...shared.imports, gatehouseFromConfig(config, shared, 'cli', options)],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        MigrateCommand,
        ...USERS_COMMANDS,
        ...AUDIT_COMMANDS,
        ...REVIEW_COMMANDS,
      ],
      exports: [APP_CONFIG],
    };
  }
}
