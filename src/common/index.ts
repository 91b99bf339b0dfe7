export { ApiError } from './api-error';
export { DomainError, isDomainError, notFound, validationFailed } from './domain-error';
export type { DomainErrorCode, DomainErrorDetails } from './domain-error';
export { errorMessage } from './error-message';
export { isDatabaseUnavailable } from './unavailable-errors';
export {
  ErrorResponseHook,
  HttpExceptionFilter,
  httpExceptionOf,
  toErrorBody,
  WWW_AUTHENTICATE,
} from './http-exception.filter';
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
export {
  Public,
  Roles,
  CurrentUser,
  IS_PUBLIC_KEY,
  ROLES_KEY,
  DEFAULT_ROLES,
} from './auth-metadata';
export type { AuthenticatedUser, GatehouseRoles, Role } from './auth-metadata';
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
export { MissingBindingError, InvalidOptionError, missingBinding } from './missing-binding';
export { gatehouseValidationPipe, requestContextMiddleware } from './gatehouse-http';
export { canonicalForwardedIp, canonicalIp, resolveClientIp } from './client-address';
export type { ClientAddressSource, ClientIpResolution } from './client-address';
export { IsIsoTime, IsQueryInt, isoTimeToUtc } from './query-values';
export {
  AUDIT_EVENT_TYPES,
  AUDIT_LEVELS,
  AUDIT_OUTCOMES,
  AuditEventType,
  AuditLevel,
  AuditOutcome,
  LOGIN_EVENT_TYPES,
  LOGIN_FAILURE_REASONS,
  LoginFailureReason,
  ReviewRuleId,
} from './audit-vocabulary';
export { CursorCodec, INVALID_CURSOR_MESSAGE, IsCursor, readPage } from './paging';
export type { Page } from './paging';
export {
  ACCESS_COOKIE_SCHEME,
  ApiAccessCookie,
  ApiContract,
  ApiCsrfHeader,
  ApiErrorBody,
  ApiErrors,
  ApiRefreshCookie,
  PageOf,
  REFRESH_COOKIE_SCHEME,
  TOKEN_ERRORS,
} from './openapi.decorators';
export type { ApiContractOptions } from './openapi.decorators';
export {
  expressResponses,
  fastifyResponses,
  HttpPlatform,
  readCookie,
  requestPath,
  responsesFor,
} from './http-platform';
export type { GatehouseRequest, GatehouseResponse, HttpResponseWriter } from './http-platform';
export { installFastifyRequestHooks, routesUnder } from './fastify-request-hooks';
export type { FastifyHookRequest, FastifyHookTarget, RequestScope } from './fastify-request-hooks';
export { Clock, ClockModule, SystemClock } from './clock';
export { AdminRoutesNotice, adminRoutesNotice } from './admin-routes.notice';
