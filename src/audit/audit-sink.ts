import type { AuditEvent } from './audit-event';

/**
 * A place that receives every committed audit event besides the database (the JSON-lines
 * file is one). A sink failure never loses the event: the row is already committed.
 */
export abstract class AuditSink {
  abstract readonly name: string;
  abstract write(event: AuditEvent): void | Promise<void>;
  /** `true` while the sink writes; shown by `/health`. */
  abstract isHealthy(): boolean;
}

/** Multi-provider token: every sink bound to it receives each event. */
export const AUDIT_SINKS = Symbol('AUDIT_SINKS');
