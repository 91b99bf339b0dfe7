import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditModule } from './audit';
import { APP_CONFIG, AppConfig } from './config';
import { DatabaseModule } from './database';
import { HealthModule } from './health/health.module';
import { UsersModule } from './users';
import { LoginThrottleModule, RateLimitModule } from './auth/throttle';

/** Wires the feature modules from one validated AppConfig. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        RateLimitModule.forRoot({ limitPerMinute: config.http.rateLimitPerMinute }),
        LoginThrottleModule.forRoot({ ...config.throttle }),
        DatabaseModule.forRoot({
          url: config.database.url,
          timeoutMs: config.database.timeoutMs,
          poolSize: config.database.poolSize,
        }),
        AuditModule.forRoot({
          isGlobal: true,
          sealKey: config.audit.sealKey,
          logDir: config.audit.logDir,
          fileSink: config.audit.fileSink,
          retentionDays: config.audit.retentionDays,
        }),
        UsersModule.forRoot({
          isGlobal: true,
          hashing: config.password,
          dataDir: config.dataDir,
          createInitialAdmin: true,
          bootstrapAdmin: config.bootstrapAdmin,
        }),
        HealthModule,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
      global: true,
    };
  }
}
