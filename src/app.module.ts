import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditModule } from './audit';
import { AuthModule } from './auth';
import { APP_CONFIG, AppConfig } from './config';
import { DatabaseModule } from './database';
import { HealthModule } from './health/health.module';
import { MetricsAuditSink, MetricsModule } from './metrics';
import { sharedStateBindings } from './redis';
import { UsersModule } from './users';
import { LoginThrottleModule, RateLimitModule } from './auth/throttle';

/** Wires the feature modules from one validated AppConfig. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    // With REDIS_URL: throttle counters, rate limit, revocations and health go through Redis.
    const shared = sharedStateBindings(config.redis);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        ...shared.imports,
        RateLimitModule.forRoot({
          limitPerMinute: config.http.rateLimitPerMinute,
          storage: shared.rateLimitStorage,
        }),
        LoginThrottleModule.forRoot({ ...config.throttle, store: shared.throttleStore }),
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
          sinks: config.metrics.enabled ? [MetricsAuditSink] : [],
          review: config.review,
        }),
        UsersModule.forRoot({
          isGlobal: true,
          hashing: config.password,
          dataDir: config.dataDir,
          createInitialAdmin: true,
          bootstrapAdmin: config.bootstrapAdmin,
        }),
        AuthModule.forRootAsync({
          isGlobal: true,
          revocationNotifier: shared.revocationNotifier,
          inject: [APP_CONFIG],
          useFactory: (appConfig: AppConfig) => ({
            jwt: appConfig.jwt,
            session: appConfig.session,
            cookies: appConfig.cookies,
            appOrigins: appConfig.http.appOrigins,
          }),
        }),
        HealthModule.forRoot({ optionalIndicators: shared.healthIndicators }),
        MetricsModule.forRoot(config.metrics),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
      global: true,
    };
  }
}
