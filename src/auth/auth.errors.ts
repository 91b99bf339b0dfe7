import { DomainError } from '../common';

/**
 * Auth's refusals, as domain errors: the exception filter gives each its status, its
 * `Retry-After` and, for token and refresh failures, the `WWW-Authenticate` challenge.
 */
export type TokenFailure = 'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'SESSION_REVOKED';

const TOKEN_FAILURE_MESSAGES: Record<TokenFailure, string> = {
  TOKEN_MISSING: 'Unauthorized',
  TOKEN_EXPIRED: 'Expired token',
  TOKEN_INVALID: 'Invalid token',
  SESSION_REVOKED: 'Session revoked',
};

/** The four 401s of API.md ("Token failures on protected routes"). */
export function tokenFailure(code: TokenFailure): DomainError {
  return new DomainError(code, TOKEN_FAILURE_MESSAGES[code]);
}

/** Whether a strategy or guard refused the token (counted by the metrics by its code). */
export function isTokenFailure(error: unknown): error is DomainError & { code: TokenFailure } {
  return error instanceof DomainError && Object.hasOwn(TOKEN_FAILURE_MESSAGES, error.code);
}

export const invalidCredentials = (): DomainError =>
  new DomainError('INVALID_CREDENTIALS', 'Invalid credentials');

export const tooManyAttempts = (retryAfterSeconds: number): DomainError =>
  new DomainError('TOO_MANY_ATTEMPTS', 'Too many attempts', { retryAfterSeconds });

/** The password hashing queue is full (API.md "Under a flood, known users go first"). */
export const loginBusy = (retryAfterSeconds: number): DomainError =>
  new DomainError('LOGIN_BUSY', 'Too many logins in progress, retry later', { retryAfterSeconds });

export const refreshInvalid = (): DomainError =>
  new DomainError('REFRESH_INVALID', 'Invalid refresh token');
export const refreshReused = (): DomainError =>
  new DomainError('REFRESH_REUSED', 'Refresh token reused');

export const csrfTokenRefused = (): DomainError =>
  new DomainError('CSRF_TOKEN', 'Missing or invalid CSRF token');
export const csrfOriginRefused = (): DomainError =>
  new DomainError('CSRF_ORIGIN', 'Cross-origin request refused');
export const forbidden = (): DomainError => new DomainError('FORBIDDEN', 'Forbidden');
export const sessionNotFound = (): DomainError => new DomainError('NOT_FOUND', 'Session not found');
