export { ApiError, notFound } from './api-error';
export { ErrorResponseHook, HttpExceptionFilter, toErrorBody } from './http-exception.filter';
export type { ErrorBody } from './http-exception.filter';
export {
  acceptRequestId,
  currentRequestContext,
  runWithRequestContext,
  systemContext,
} from './request-context';
export type { RequestContext } from './request-context';
export { createAppLogger } from './logger';
export type { AppLoggerOptions } from './logger';
export { Public, Roles, CurrentUser, IS_PUBLIC_KEY, ROLES_KEY, ROLES } from './auth-metadata';
export type { AuthenticatedUser, Role } from './auth-metadata';
export { rejectPrototypeKeys } from './prototype-keys.middleware';
export { MAX_JSON_DEPTH, nestsDeeperThan, rejectDeepJson } from './json-depth.middleware';
export { CodePointLength } from './code-point-length.validator';
export {
  AUDIT_WRITE_CHANNEL,
  TOKEN_REJECTED_CHANNEL,
  auditWriteObserved,
  publishAuditWrite,
  publishTokenRejected,
} from './instrumentation';
export type { AuditWriteTiming, TokenRejection } from './instrumentation';
export { normalizeUsername, codePointLength } from './username';
export { MissingBindingError, missingBinding } from './missing-binding';
export { gatehouseValidationPipe, requestContextMiddleware } from './gatehouse-http';
export { canonicalForwardedIp, canonicalIp, resolveClientIp } from './client-address';
export type { ClientAddressSource, ClientIpResolution } from './client-address';
export { IsIsoTime, IsQueryInt, isoTimeToUtc } from './query-values';
export { Clock, ClockModule, SystemClock } from './clock';
