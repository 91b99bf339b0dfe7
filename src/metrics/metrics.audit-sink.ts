import { Injectable } from '@nestjs/common';
import type { AuditEvent, AuditSink } from '../audit';
import { MetricsService } from './metrics.service';

export const METRICS_SINK_NAME = 'metrics';

/**
 * Feeds committed audit events to the metrics: login attempts, throttle hits, locks, review
 * runs and findings all come from the audit trail, so neither `auth` nor the review call the
 * metrics. Registered with `AuditModule.forRoot({ sinks: [MetricsAuditSink] })`; it only
 * imports audit's types, so `metrics` stays a leaf at run time.
 */
@Injectable()
export class MetricsAuditSink implements AuditSink {
  readonly name = METRICS_SINK_NAME;

  constructor(private readonly metrics: MetricsService) {}

  write(event: AuditEvent): void {
    this.metrics.observeAuditEvent(event);
  }

  isHealthy(): boolean {
    return true;
  }
}
