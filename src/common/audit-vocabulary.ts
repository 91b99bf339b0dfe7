/**
 * The audit trail's vocabulary, in one place: event types (the OWASP logging vocabulary),
 * outcomes, levels and the reasons of a refused login. Auth records with these, metrics counts
 * them, the review's detectors match them and the web console offers them as filters, so a new
 * type or reason is one edit here that the compiler carries to every `switch` and `Record`.
 * Plain `as const` objects (no TypeScript `enum`): the values are the strings API.md and the
 * stored rows use, and this file imports nothing, so the browser bundle can share it.
 */
export const AuditEventType = {
  LoginSuccess: 'authn_login_success',
  LoginSuccessAfterFail: 'authn_login_successafterfail',
  LoginFail: 'authn_login_fail',
  LoginFailMax: 'authn_login_fail_max',
  LoginLock: 'authn_login_lock',
  TokenRefreshed: 'authn_token_refreshed',
  TokenRevoked: 'authn_token_revoked',
  TokenReuse: 'authn_token_reuse',
  Logout: 'session_logout',
  PasswordChange: 'authn_password_change',
  AuthzFail: 'authz_fail',
  CsrfRefused: 'malicious_csrf',
  RateLimitExceeded: 'excess_rate_limit_exceeded',
  InputValidationFail: 'input_validation_fail',
  UserCreated: 'user_created',
  UserUpdated: 'user_updated',
  UserUnlocked: 'user_unlocked',
  ReviewCompleted: 'review_completed',
  ReviewFinding: 'review_finding',
  IpBlocked: 'ip_blocked',
  IpUnblocked: 'ip_unblocked',
  AuditSealed: 'audit_sealed',
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];
/** Every type, in API.md's order (filters, the OpenAPI enum, validation). */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = Object.values(AuditEventType);

/** The event types of a request to `POST /auth/login` that reached the login rules. */
export const LOGIN_EVENT_TYPES = [
  AuditEventType.LoginSuccess,
  AuditEventType.LoginSuccessAfterFail,
  AuditEventType.LoginFail,
  AuditEventType.LoginFailMax,
  AuditEventType.LoginLock,
] as const satisfies readonly AuditEventType[];

export const AuditLevel = { Info: 'INFO', Warn: 'WARN', Critical: 'CRITICAL' } as const;
export type AuditLevel = (typeof AuditLevel)[keyof typeof AuditLevel];
export const AUDIT_LEVELS: readonly AuditLevel[] = Object.values(AuditLevel);

export const AuditOutcome = { Success: 'success', Failure: 'failure' } as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = Object.values(AuditOutcome);

/**
 * Why a login was refused (the `reason` of its failure event). `unknown_user` and
 * `bad_password` are checked credentials; the others are refusals before or instead of a check.
 */
export const LoginFailureReason = {
  UnknownUser: 'unknown_user',
  BadPassword: 'bad_password',
  Disabled: 'disabled',
  Locked: 'locked',
  IpBlocked: 'ip_blocked',
  Throttled: 'throttled',
  InvalidInput: 'invalid_input',
  Unavailable: 'unavailable',
  Busy: 'busy',
} as const;
export type LoginFailureReason = (typeof LoginFailureReason)[keyof typeof LoginFailureReason];
export const LOGIN_FAILURE_REASONS: readonly LoginFailureReason[] =
  Object.values(LoginFailureReason);

/** The rule ids of the built-in review detectors (`Finding.rule`, `/metrics` labels). */
export const ReviewRuleId = {
  BruteForce: 'brute-force',
  PasswordSpraying: 'password-spraying',
  CredentialStuffing: 'credential-stuffing',
  DistributedAttack: 'distributed-attack',
  SuccessAfterFailures: 'success-after-failures',
  NewIpSuccess: 'new-ip-success',
  UsernameEnumeration: 'username-enumeration',
  RefreshTokenReuse: 'refresh-token-reuse',
  LockoutBurst: 'lockout-burst',
} as const;
export type ReviewRuleId = (typeof ReviewRuleId)[keyof typeof ReviewRuleId];
