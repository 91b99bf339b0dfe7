import type { DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditModule } from './audit';
import { AuthModule } from './auth';
import { LoginThrottleModule } from './auth/throttle';
import { AppConfig } from './config';
import { DatabaseModule } from './database';
import { MetricsAuditSink } from './metrics';
import { SharedStateBindings } from './redis';
import { UsersModule } from './users';

export type ProcessRole = 'server' | 'cli';

/**
 * The feature modules every Gatehouse process runs, wired from one AppConfig. The server and
 * the CLI share this list, so a CLI `users:disable` revokes sessions and audits exactly as the
 * API would. What differs by role: the server creates the first admin, runs the 23:00 review and
 * feeds metrics; the CLI does none of these.
 */
export function coreModules(
  config: AppConfig,
  shared: SharedStateBindings,
  role: ProcessRole,
  options: { migrate?: boolean } = {},
): (DynamicModule | Promise<DynamicModule>)[] {
  const server = role === 'server';
  return [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
    ...shared.imports,
    LoginThrottleModule.forRoot({ ...config.throttle, store: shared.throttleStore }),
    DatabaseModule.forRoot({
      url: config.database.url,
      timeoutMs: config.database.timeoutMs,
      poolSize: server ? config.database.poolSize : 2,
      migrate: options.migrate,
    }),
    AuditModule.forRoot({
      isGlobal: true,
      sealKey: config.audit.sealKey,
      logDir: config.audit.logDir,
      // One writer per file keeps its MAC chain linear: the CLI's events stay in the database.
      fileSink: server && config.audit.fileSink,
      retentionDays: config.audit.retentionDays,
      sinks: server && config.metrics.enabled ? [MetricsAuditSink] : [],
      // The CLI runs reviews on demand; the 23:00 job belongs to the server.
      review: server ? config.review : { ...config.review, enabled: false },
    }),
    UsersModule.forRoot({
      isGlobal: true,
      hashing: config.password,
      hashQueueSize: config.loginHashQueueSize,
      dataDir: config.dataDir,
      createInitialAdmin: server,
      bootstrapAdmin: server ? config.bootstrapAdmin : undefined,
    }),
    AuthModule.forRoot({
      isGlobal: true,
      revocationNotifier: shared.revocationNotifier,
      jwt: config.jwt,
      session: config.session,
      cookies: config.cookies,
      appOrigins: config.http.appOrigins,
    }),
  ];
}
