import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * Measurements that hot paths publish without depending on who listens (the metrics module).
 * `node:diagnostics_channel` costs one boolean check when nobody subscribes, so `auth` and
 * `audit` need neither an injection nor an import of `metrics`, and `metrics` stays a leaf.
 */
export interface TokenRejection {
  /** The 401 code of API.md: TOKEN_MISSING, TOKEN_EXPIRED, TOKEN_INVALID, SESSION_REVOKED. */
  code: string;
}

export interface AuditWriteTiming {
  /** Wall time of the database insert (the commit), in seconds. */
  seconds: number;
}

export const TOKEN_REJECTED_CHANNEL = 'gatehouse:auth:token-rejected';
export const AUDIT_WRITE_CHANNEL = 'gatehouse:audit:write';

const tokenRejected = diagnosticsChannel.channel(TOKEN_REJECTED_CHANNEL);
const auditWrite = diagnosticsChannel.channel(AUDIT_WRITE_CHANNEL);

/** Called by the guard once per refused access token. */
export function publishTokenRejected(code: string): void {
  if (tokenRejected.hasSubscribers) tokenRejected.publish({ code } satisfies TokenRejection);
}

/** Called by `AuditService.record()` once its row is committed. */
export function publishAuditWrite(seconds: number): void {
  if (auditWrite.hasSubscribers) auditWrite.publish({ seconds } satisfies AuditWriteTiming);
}

/** Whether anyone measures audit writes, so the recorder skips the clock when nobody does. */
export function auditWriteObserved(): boolean {
  return auditWrite.hasSubscribers;
}
