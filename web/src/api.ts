// The only door to the API. The tokens live in httpOnly cookies the script never sees; the
// CSRF token is the one cookie meant for scripts (API.md "Cookies").

export interface User {
  id: string;
  username: string;
  roles: string[];
  disabled?: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string[] = [],
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** What each code of the contract means to a person; the server's own text is the fallback. */
const MESSAGES: Record<string, string> = {
  VALIDATION_FAILED: 'Some values are not valid.',
  MALFORMED_JSON: 'The request was malformed. Reload the page and try again.',
  PAYLOAD_TOO_LARGE: 'That is too much text for one request.',
  UNSUPPORTED_MEDIA_TYPE: 'The request was not sent as JSON. Reload the page and try again.',
  RATE_LIMITED: 'Too many requests from this address. Wait a moment and try again.',
  INVALID_CREDENTIALS: 'Wrong username or password.',
  TOO_MANY_ATTEMPTS: 'Too many failed attempts.',
  LOGIN_BUSY: 'The service is busy signing other people in.',
  CSRF_ORIGIN: 'This request came from another site and was refused.',
  CSRF_TOKEN: 'Your page is out of date. Reload it and try again.',
  REFRESH_INVALID: 'Your session has ended. Please sign in again.',
  REFRESH_REUSED:
    'Your session was ended for safety (a sign-in token was used twice). Please sign in again.',
  TOKEN_MISSING: 'Please sign in.',
  TOKEN_EXPIRED: 'Your sign-in has expired. Please sign in again.',
  TOKEN_INVALID: 'Your sign-in is not valid any more. Please sign in again.',
  SESSION_REVOKED:
    'Your session was ended (signed out elsewhere, password changed or account disabled). Please sign in again.',
  UNAUTHORIZED: 'Please sign in.',
  FORBIDDEN: 'Your account may not do this.',
  NOT_FOUND: 'It does not exist (any more).',
  METHOD_NOT_ALLOWED: 'That action is not possible here.',
  CONFLICT: 'That conflicts with the current state. Reload and try again.',
  PASSWORD_POLICY: 'That password does not meet the password policy.',
  USERNAME_TAKEN: 'That username is taken.',
  LAST_ADMIN: 'This would leave no enabled administrator.',
  REVIEW_RUNNING: 'A review is already running. Try again when it has finished.',
  BAD_CLIENT_ADDRESS: 'The proxy in front of the service sent a client address it does not accept.',
  SERVICE_UNAVAILABLE: 'The service is unavailable right now. Try again shortly.',
  INTERNAL_ERROR: 'Something went wrong on the server. Try again shortly.',
  NETWORK: 'The service could not be reached. Check your connection and try again.',
};

export function messageFor(error: unknown): string {
  if (error instanceof ApiError)
    return MESSAGES[error.code] ?? (error.message || `Error ${error.status}`);
  return MESSAGES.NETWORK;
}

/** Codes after which the only way forward is to sign in again. */
const SIGNED_OUT = new Set([
  'TOKEN_MISSING',
  'UNAUTHORIZED',
  'SESSION_REVOKED',
  'TOKEN_INVALID',
  'REFRESH_INVALID',
  'REFRESH_REUSED',
]);

type SignedOutListener = (message: string) => void;
let onSignedOut: SignedOutListener = () => undefined;
export function setSignedOutListener(listener: SignedOutListener): void {
  onSignedOut = listener;
}

function csrfToken(): string {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'csrf_token' || name === '__Host-csrf_token')
      return decodeURIComponent(rest.join('='));
  }
  return '';
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', MESSAGES.NETWORK);
  }
}

async function toError(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText;
  let details: string[] = [];
  try {
    const body = (await response.json()) as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') message = body.message;
    if (Array.isArray(body.errors)) details = body.errors.map((item) => String(item));
  } catch {
    // Not JSON (a proxy's page): the status decides the message.
    if (response.status >= 500) code = 'SERVICE_UNAVAILABLE';
  }
  const retry = Number(response.headers.get('Retry-After'));
  return new ApiError(
    response.status,
    code,
    message,
    details,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

/** One refresh at a time: parallel calls that all meet TOKEN_EXPIRED share it. */
let refreshing: Promise<boolean> | undefined;
function refresh(): Promise<boolean> {
  refreshing ??= send('POST', '/auth/refresh')
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

export interface CallOptions {
  /** The sign-in page itself: a 401 is an answer to show, not a reason to leave. */
  anonymous?: boolean;
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<T> {
  let response = await send(method, path, body);
  if (response.status === 401 && !options.anonymous) {
    let error = await toError(response);
    if (error.code === 'TOKEN_EXPIRED') {
      if (await refresh()) {
        response = await send(method, path, body);
        if (response.status === 401) error = await toError(response);
      } else {
        error = new ApiError(401, 'REFRESH_INVALID', MESSAGES.REFRESH_INVALID);
      }
    }
    if (!response.ok) {
      if (SIGNED_OUT.has(error.code) || error.code === 'TOKEN_EXPIRED')
        onSignedOut(messageFor(error));
      throw error;
    }
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  del: (path: string) => call<void>('DELETE', path),
};

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
