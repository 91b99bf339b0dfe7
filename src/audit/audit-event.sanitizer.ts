import type { AuditEvent } from './audit-event';

export const AUDIT_STRING_LIMITS = {
  username: 128,
  userAgent: 256,
  reason: 64,
  ip: 64,
  requestId: 128,
  method: 16,
  path: 512,
  detail: 512,
  detailKey: 64,
} as const;

/** Beyond these, details are cut: an event stays small whatever a caller hands over. */
const DETAIL_MAX_DEPTH = 3;
const DETAIL_MAX_ENTRIES = 50;

// C0 and C1 controls, DEL, the two Unicode line separators that JSON allows raw but many log
// readers split on, and the bidirectional formatting characters that can make a terminal show
// a line in an order other than the bytes' ("Trojan Source" log spoofing).
const UNSAFE_CHARACTER =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

function isLoneSurrogate(codePoint: string): boolean {
  const unit = codePoint.charCodeAt(0);
  return codePoint.length === 1 && unit >= 0xd800 && unit <= 0xdfff;
}

function escapeCodePoint(codePoint: string): string {
  // An unpaired UTF-16 surrogate cannot be stored as UTF-8 (PostgreSQL) and JSON.stringify
  // escapes it, so the row and the line would differ; it becomes U+FFFD.
  if (isLoneSurrogate(codePoint)) return '\ufffd';
  if (UNSAFE_CHARACTER.test(codePoint))
    return `\\u${codePoint.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return codePoint;
}

/**
 * Escapes control characters as visible `\uXXXX` text and bounds the result to
 * `maxCodePoints` code points (a cut value ends with `…`, and an escape is never cut in half),
 * so one event is always exactly one line and no input can forge another.
 */
export function sanitizeAuditString(value: string, maxCodePoints: number): string {
  let result = '';
  let length = 0;
  for (const codePoint of value) {
    const piece = escapeCodePoint(codePoint);
    // An escape is 6 ASCII characters, so string length equals code points here.
    const pieceLength = piece.length === 2 ? 1 : piece.length;
    if (length + pieceLength > maxCodePoints) {
      return `${trimToCodePoints(result, maxCodePoints - 1)}…`;
    }
    result += piece;
    length += pieceLength;
  }
  return result;
}

/** Drops whole trailing pieces until the text fits; never leaves a partial `\uXXXX`. */
function trimToCodePoints(text: string, maxCodePoints: number): string {
  const codePoints = Array.from(text);
  if (codePoints.length <= maxCodePoints) return text;
  let cut = codePoints.slice(0, maxCodePoints).join('');
  const partialEscape = /\\u[0-9a-f]{0,3}$|\\$/.exec(cut);
  if (partialEscape) cut = cut.slice(0, partialEscape.index);
  return cut;
}

function sanitizeDetails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return sanitizeAuditString(value, AUDIT_STRING_LIMITS.detail);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean' || value === null) return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= DETAIL_MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) {
    return value
      .slice(0, DETAIL_MAX_ENTRIES)
      .map((item) => sanitizeDetails(item, depth + 1) ?? null);
  }
  if (typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>).slice(
      0,
      DETAIL_MAX_ENTRIES,
    )) {
      const clean = sanitizeDetails(item, depth + 1);
      if (clean !== undefined)
        result[sanitizeAuditString(key, AUDIT_STRING_LIMITS.detailKey)] = clean;
    }
    return result;
  }
  // undefined, functions, symbols and bigints have no JSON form; they are left out.
  return undefined;
}

/** `ts` as the exact ISO-8601 UTC form (`…T…Z`), so text order is time order in the table. */
function normalizeTimestamp(ts: string): string {
  const time = new Date(ts);
  return Number.isNaN(time.getTime()) ? new Date().toISOString() : time.toISOString();
}

/** Every string field bounded and escaped; absent optionals stay absent. */
export function sanitizeAuditEvent<T extends Omit<AuditEvent, 'id'>>(event: T): T {
  const clean = { ...event };
  clean.ts = normalizeTimestamp(event.ts);
  clean.ip = sanitizeAuditString(event.ip, AUDIT_STRING_LIMITS.ip);
  clean.userAgent = sanitizeAuditString(event.userAgent, AUDIT_STRING_LIMITS.userAgent);
  clean.requestId = sanitizeAuditString(event.requestId, AUDIT_STRING_LIMITS.requestId);
  clean.method = sanitizeAuditString(event.method, AUDIT_STRING_LIMITS.method);
  clean.path = sanitizeAuditString(event.path, AUDIT_STRING_LIMITS.path);
  if (event.username !== undefined) {
    clean.username = sanitizeAuditString(event.username, AUDIT_STRING_LIMITS.username);
  }
  if (event.userId !== undefined) {
    clean.userId = sanitizeAuditString(event.userId, AUDIT_STRING_LIMITS.username);
  }
  if (event.reason !== undefined)
    clean.reason = sanitizeAuditString(event.reason, AUDIT_STRING_LIMITS.reason);
  if (event.details !== undefined) {
    const details = sanitizeDetails(event.details);
    if (
      details !== undefined &&
      details !== null &&
      typeof details === 'object' &&
      !Array.isArray(details)
    ) {
      clean.details = details as Record<string, unknown>;
    } else {
      delete clean.details;
    }
  }
  return clean;
}
