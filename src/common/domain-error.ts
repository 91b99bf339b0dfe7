/**
 * The codes of API.md a service may end a request with. The code is the domain's word for
 * what went wrong; which HTTP status and headers it becomes is decided in one place, the
 * exception filter (`http-exception.filter.ts`), so services never speak HTTP.
 */
export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'PASSWORD_POLICY'
  | 'NOT_FOUND'
  | 'USERNAME_TAKEN'
  | 'LAST_ADMIN'
  | 'REVIEW_RUNNING'
  | 'INVALID_CREDENTIALS'
  | 'REFRESH_INVALID'
  | 'REFRESH_REUSED'
  | 'TOKEN_MISSING'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_INVALID'
  | 'SESSION_REVOKED'
  | 'CSRF_TOKEN'
  | 'CSRF_ORIGIN'
  | 'FORBIDDEN'
  | 'TOO_MANY_ATTEMPTS'
  | 'LOGIN_BUSY'
  | 'SERVICE_UNAVAILABLE';

export interface DomainErrorDetails {
  /** Details a client can act on (validation messages, password policy violations). */
  errors?: string[];
  /** When a retry can succeed; becomes `Retry-After` (whole seconds, at least 1). */
  retryAfterSeconds?: number;
}

/** A rule refused the request. Thrown by services; the exception filter writes the answer. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Whether `error` is the domain error `code` (e.g. a wrong password, a taken username). */
export function isDomainError<C extends DomainErrorCode>(
  error: unknown,
  code: C,
): error is DomainError & { code: C } {
  return error instanceof DomainError && error.code === code;
}

export const notFound = (what = 'Not found'): DomainError => new DomainError('NOT_FOUND', what);

/** `400 VALIDATION_FAILED` with the details in `errors`, as the ValidationPipe answers. */
export const validationFailed = (...errors: string[]): DomainError =>
  new DomainError('VALIDATION_FAILED', 'Validation failed', { errors });
