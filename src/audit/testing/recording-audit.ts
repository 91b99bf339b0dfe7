import type { AuditEventInput } from '../audit-event';
import type { AuditService } from '../audit.service';

/** The part of AuditService a service spec sees: what it recorded, in order. */
export class RecordingAudit {
  readonly events: AuditEventInput[] = [];

  record(input: AuditEventInput): Promise<unknown> {
    this.events.push(input);
    return Promise.resolve(input);
  }

  /** Hands the recorder to a constructor that takes the real AuditService. */
  asService(): AuditService {
    return this as unknown as AuditService;
  }
}
