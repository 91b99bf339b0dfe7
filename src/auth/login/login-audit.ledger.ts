import { Injectable } from '@nestjs/common';
import { AuditEvent, AuditEventInput, AuditService } from '../../audit';
import { currentRequestContext, GatehouseRequest, RequestContext, requestPath } from '../../common';

export const LOGIN_PATH = '/auth/login';

/** Express routes case-insensitively and ignores a trailing slash, so this does too. */
export function isLoginRequest(
  request: Pick<GatehouseRequest, 'method' | 'url' | 'originalUrl'>,
): boolean {
  return (
    request.method === 'POST' &&
    requestPath(request).toLowerCase().replace(/\/+$/, '') === LOGIN_PATH
  );
}

/**
 * API.md: every request to `POST /auth/login` yields exactly one audit event. Whoever records
 * an event for the current request goes through `record()`, which remembers that the request
 * has its event; the error hook then records one only for requests refused before anything
 * else did (415, 413, malformed JSON, the general rate limit).
 */
@Injectable()
export class LoginAuditLedger {
  private readonly recorded = new WeakSet<RequestContext>();

  constructor(private readonly audit: AuditService) {}

  async record(input: AuditEventInput): Promise<AuditEvent> {
    const event = await this.audit.record(input);
    const context = currentRequestContext();
    if (context) this.recorded.add(context);
    return event;
  }

  /**
   * Like `record`, but never holds the request past `budgetMs`: an event the database does not
   * take in time is deferred (in the file at once, in the database when it answers).
   */
  async recordWithin(input: AuditEventInput, budgetMs: number): Promise<void> {
    const context = currentRequestContext();
    if (context) this.recorded.add(context);
    await this.audit.recordWithin(input, budgetMs);
  }

  hasRecorded(): boolean {
    const context = currentRequestContext();
    return context !== undefined && this.recorded.has(context);
  }
}
