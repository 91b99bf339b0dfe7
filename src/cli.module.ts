import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditModule } from './audit';
import { AUDIT_COMMANDS } from './audit/audit.commands';
import { REVIEW_COMMANDS } from './audit/review/review.commands';
import { APP_CONFIG, AppConfig } from './config';
import { DatabaseModule } from './database';
import { MigrateCommand } from './database/cli/migrate.command';
import { UsersModule } from './users';
import { USERS_COMMANDS } from './users/cli/users.commands';

/** The modules the command line needs; no HTTP server, no scheduler. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, options: { migrate: boolean }): DynamicModule {
    return {
      module: CliModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        DatabaseModule.forRoot({
          url: config.database.url,
          timeoutMs: config.database.timeoutMs,
          poolSize: 2,
          migrate: options.migrate,
        }),
        AuditModule.forRoot({
          isGlobal: true,
          sealKey: config.audit.sealKey,
          logDir: config.audit.logDir,
          fileSink: config.audit.fileSink,
          retentionDays: config.audit.retentionDays,
          // The CLI runs reviews on demand; the 23:00 job belongs to the server.
          review: { ...config.review, enabled: false },
        }),
        UsersModule.forRoot({
          isGlobal: true,
          hashing: config.password,
          dataDir: config.dataDir,
          createInitialAdmin: false,
        }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, MigrateCommand, ...USERS_COMMANDS, ...AUDIT_COMMANDS, ...REVIEW_COMMANDS],
      exports: [APP_CONFIG],
    };
  }
}
