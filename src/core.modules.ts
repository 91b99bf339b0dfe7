import type { DynamicModule } from '@nestjs/common';
import { AppConfig } from './config';
import { GatehouseModule, GatehouseModuleOptions } from './gatehouse';
import { MetricsAuditSink } from './metrics';
import { SharedStateBindings } from './redis';

export type ProcessRole = 'server' | 'cli';

/**
 * The service's GatehouseModule, mapped from one AppConfig. The server and the CLI both use
 * it, so a CLI `users:disable` revokes sessions and audits exactly as the API would, and a
 * detector registered here runs in every review. What differs by role: the server creates the
 * first admin, runs the 23:00 review and feeds metrics; the CLI does none of these.
 */
export function gatehouseFromConfig(
  config: AppConfig,
  shared: SharedStateBindings,
  role: ProcessRole,
  options: { migrate?: boolean } = {},
): DynamicModule {
  const server = role === 'server';
  return GatehouseModule.forRoot({
    ...gatehouseOptionsFrom(config, role, options),
    imports: shared.imports,
    throttleStore: shared.throttleStore,
    revocationNotifier: shared.revocationNotifier,
    auditSinks: server && config.metrics.enabled ? [MetricsAuditSink] : [],
  });
}

/** The values of GatehouseModule's options, from AppConfig. */
export function gatehouseOptionsFrom(
  config: AppConfig,
  role: ProcessRole,
  options: { migrate?: boolean } = {},
): GatehouseModuleOptions {
  const server = role === 'server';
  return {
    database: {
      url: config.database.url,
      timeoutMs: config.database.timeoutMs,
      poolSize: server ? config.database.poolSize : 2,
      migrate: options.migrate,
    },
    throttle: config.throttle,
    audit: {
      sealKey: config.audit.sealKey,
      logDir: config.audit.logDir,
      // One writer per file keeps its MAC chain linear: the CLI's events stay in the database.
      fileSink: server && config.audit.fileSink,
      retentionDays: config.audit.retentionDays,
      // The CLI runs reviews on demand; the 23:00 job belongs to the server.
      review: server ? config.review : { ...config.review, enabled: false },
    },
    users: {
      hashing: config.password,
      hashQueueSize: config.loginHashQueueSize,
      dataDir: config.dataDir,
      createInitialAdmin: server,
      bootstrapAdmin: server ? config.bootstrapAdmin : undefined,
    },
    auth: {
      jwt: config.jwt,
      session: config.session,
      cookies: config.cookies,
      appOrigins: config.http.appOrigins,
    },
  };
}
