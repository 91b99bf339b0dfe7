/**
 * The audit event of API.md: one JSON object, identical in the database and in the
 * JSON-lines file. Types follow the OWASP logging vocabulary.
 */
export const AUDIT_EVENT_TYPES = [
  'authn_login_success',
  'authn_login_successafterfail',
  'authn_login_fail',
  'authn_login_fail_max',
  'authn_login_lock',
  'authn_token_refreshed',
  'authn_token_revoked',
  'authn_token_reuse',
  'session_logout',
  'authn_password_change',
  'authz_fail',
  'malicious_csrf',
  'excess_rate_limit_exceeded',
  'input_validation_fail',
  'user_created',
  'user_updated',
  'user_unlocked',
  'review_completed',
  'review_finding',
  'ip_blocked',
  'ip_unblocked',
  'audit_sealed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export const AUDIT_LEVELS = ['INFO', 'WARN', 'CRITICAL'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_FAILURE_REASONS = [
  'unknown_user',
  'bad_password',
  'disabled',
  'locked',
  'ip_blocked',
  'throttled',
  'invalid_input',
  'unavailable',
] as const;
export type AuditFailureReason = (typeof AUDIT_FAILURE_REASONS)[number];

/** Event types that describe a request to `POST /auth/login`; exactly one per request. */
export const LOGIN_EVENT_TYPES: readonly AuditEventType[] = [
  'authn_login_success',
  'authn_login_successafterfail',
  'authn_login_fail',
  'authn_login_fail_max',
  'authn_login_lock',
];

export interface AuditEvent {
  id: number;
  ts: string;
  type: AuditEventType;
  level: AuditLevel;
  outcome: AuditOutcome;
  username?: string;
  userId?: string;
  reason?: string;
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
