import { ApiError } from '../common';

/** RFC 6750-style challenge for a cookie carrier; every 401 of a protected route carries it. */
export const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Cookie realm="gatehouse"' };

export type TokenFailure = 'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'SESSION_REVOKED';

const TOKEN_FAILURE_MESSAGES: Record<TokenFailure, string> = {
  TOKEN_MISSING: 'Unauthorized',
  TOKEN_EXPIRED: 'Expired token',
  TOKEN_INVALID: 'Invalid token',
  SESSION_REVOKED: 'Session revoked',
};

/** The four 401s of API.md ("Token failures on protected routes"). */
export function tokenFailure(code: TokenFailure): ApiError {
  return new ApiError(401, code, TOKEN_FAILURE_MESSAGES[code], {}, WWW_AUTHENTICATE);
}

export const invalidCredentials = (): ApiError =>
  new ApiError(401, 'INVALID_CREDENTIALS', 'Invalid credentials');

export const tooManyAttempts = (retryAfterSeconds: number): ApiError =>
  new ApiError(
    429,
    'TOO_MANY_ATTEMPTS',
    'Too many attempts',
    {},
    { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  );

/** The password hashing queue is full (API.md "Under a flood, known users go first"). */
export const loginBusy = (retryAfterSeconds: number): ApiError =>
  new ApiError(
    503,
    'LOGIN_BUSY',
    'Too many logins in progress, retry later',
    {},
    { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  );

export const refreshInvalid = (): ApiError =>
  new ApiError(401, 'REFRESH_INVALID', 'Invalid refresh token', {}, WWW_AUTHENTICATE);
export const refreshReused = (): ApiError =>
  new ApiError(401, 'REFRESH_REUSED', 'Refresh token reused', {}, WWW_AUTHENTICATE);

export const csrfTokenRefused = (): ApiError =>
  new ApiError(403, 'CSRF_TOKEN', 'Missing or invalid CSRF token');
export const csrfOriginRefused = (): ApiError =>
  new ApiError(403, 'CSRF_ORIGIN', 'Cross-origin request refused');
export const forbidden = (): ApiError => new ApiError(403, 'FORBIDDEN', 'Forbidden');
export const sessionNotFound = (): ApiError => new ApiError(404, 'NOT_FOUND', 'Session not found');
