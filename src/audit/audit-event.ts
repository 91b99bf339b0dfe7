import type { AuditEventType, AuditLevel, AuditOutcome, LoginFailureReason } from '../common';

/**
 * The audit event of API.md: one JSON object, identical in the database and in the
 * JSON-lines file. Its vocabulary (types, levels, outcomes, reasons) is `common/audit-vocabulary`.
 */
export interface AuditEvent {
  id: number;
  ts: string;
  type: AuditEventType;
  level: AuditLevel;
  outcome: AuditOutcome;
  username?: string;
  userId?: string;
  /** A `LoginFailureReason` on refused logins; other events use their own short reasons. */
  reason?: LoginFailureReason | (string & {});
  ip: string;
  userAgent: string;
  requestId: string;
  method: string;
  path: string;
  sessionRef?: string;
  details?: Record<string, unknown>;
}

/** The keys of an event in API.md's order: the row, the JSON line and the seal input agree on it. */
export const AUDIT_EVENT_KEYS = [
  'id',
  'ts',
  'type',
  'level',
  'outcome',
  'username',
  'userId',
  'reason',
  'ip',
  'userAgent',
  'requestId',
  'method',
  'path',
  'sessionRef',
  'details',
] as const satisfies readonly (keyof AuditEvent)[];

/**
 * What a caller hands to `AuditService.record()`. Request fields (ip, userAgent, requestId,
 * method, path) default to the current request's context; `ts` defaults to now.
 * `username` is the normalised username. `sessionId` is turned into a keyed `sessionRef` and
 * never stored as given.
 */
export interface AuditEventInput {
  type: AuditEventType;
  outcome: AuditOutcome;
  level?: AuditLevel;
  username?: string;
  userId?: string;
  reason?: string;
  sessionId?: string;
  details?: Record<string, unknown>;
  ts?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  method?: string;
  path?: string;
}
