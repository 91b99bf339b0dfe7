import type { AuditEvent } from './audit-event';

/**
 * An event the database did not take in time (`AuditService.recordWithin`): the sinks get it at
 * once, without an id, and its row is written when the database answers again.
 */
export type DeferredAuditEvent = Omit<AuditEvent, 'id'> & { id?: undefined };

/**
 * A place that receives every committed audit event besides the database (the JSON-lines
 * file is one). A sink failure never loses the event: the row is already committed.
 * The one exception is a deferred event (no id): the sinks hold it while its row waits.
 */
export abstract class AuditSink {
  abstract readonly name: string;
  abstract write(event: AuditEvent | DeferredAuditEvent): void | Promise<void>;
  /** `true` while the sink writes; shown by `/health`. */
  abstract isHealthy(): boolean;
}

/** Multi-provider token: every sink bound to it receives each event. */
export const AUDIT_SINKS = Symbol('AUDIT_SINKS');
