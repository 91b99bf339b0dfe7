const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled (statement_timeout)
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'connection timeout',
  'Client has encountered a connection error',
  'database is locked',
];

/**
 * True when a failure means "the database cannot be reached right now" rather than a bug (the
 * drivers' connection and shutdown codes; it lives here because the exception filter maps it):
 * such requests answer `503 SERVICE_UNAVAILABLE` (never a hang beyond DB_TIMEOUT_MS, never a
 * crash), and the pool reconnects by itself when the server returns.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof candidate.code === 'string' && UNAVAILABLE_CODES.has(candidate.code)) return true;
  if (
    typeof candidate.message === 'string' &&
    UNAVAILABLE_MESSAGES.some((text) => (candidate.message as string).includes(text))
  ) {
    return true;
  }
  return (
    candidate.cause !== undefined &&
    candidate.cause !== error &&
    isDatabaseUnavailable(candidate.cause)
  );
}
