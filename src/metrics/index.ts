export { MetricsModule } from './metrics.module';
export { MetricsService, EVENT_LOOP_RESOLUTION_MS } from './metrics.service';
export type { ObservedAuditEvent } from './metrics.service';
export { MetricsAuditSink, METRICS_SINK_NAME } from './metrics.audit-sink';
export { parseAllowList } from './metrics.access';
export type { MetricsModuleOptions } from './metrics.options';
