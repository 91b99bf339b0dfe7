import { Injectable, Optional } from '@nestjs/common';
import type { AuditEventInput } from '../../audit';
import {
  AuditEventType,
  AuditOutcome,
  currentRequestContext,
  ErrorBody,
  ErrorResponseHook,
  GatehouseRequest,
  LoginFailureReason,
} from '../../common';
import { DatabaseInfo } from '../../database';
import { isLoginRequest, LoginAuditLedger } from './login-audit.ledger';

/** DB_TIMEOUT_MS when the database module does not say (its default). */
const DEFAULT_BUDGET_MS = 5000;
/** The least an audit write of a 503 is given, even when the request's budget is spent. */
const MIN_AUDIT_WAIT_MS = 50;

/** A 503 because the database did not answer in time (not `LOGIN_BUSY` or another 503). */
function isDatabaseUnavailableAnswer(body: ErrorBody): boolean {
  return body.statusCode === 503 && body.code === 'SERVICE_UNAVAILABLE';
}

/** The event for a login refused before the login handler recorded one. */
function eventForRefusal(body: ErrorBody): AuditEventInput {
  const refused = (type: AuditEventType, reason?: LoginFailureReason): AuditEventInput => ({
    type,
    outcome: AuditOutcome.Failure,
    reason,
    details: { status: body.statusCode, code: body.code },
  });
  if (body.statusCode === 429) {
    return refused(AuditEventType.RateLimitExceeded, LoginFailureReason.Throttled);
  }
  if (body.statusCode === 403) return refused(AuditEventType.CsrfRefused);
  if (isDatabaseUnavailableAnswer(body)) {
    // What the client was answered: no credential was judged, whatever the handler got to.
    return refused(AuditEventType.LoginFail, LoginFailureReason.Unavailable);
  }
  if (body.statusCode === 400 || body.statusCode === 413 || body.statusCode === 415) {
    // No username: a malformed body may carry a password where the username should be.
    return refused(AuditEventType.InputValidationFail, LoginFailureReason.InvalidInput);
  }
  return refused(AuditEventType.LoginFail);
}

/**
 * Commits the audit event of a refused login before its error response is written.
 * A 503 (the database did not answer) is recorded with reason `unavailable`, and its write may
 * use only what is left of the request's DB_TIMEOUT_MS budget: if the database does not take
 * it by then, it is deferred (the JSON-lines file at once, the database when it answers), so the
 * 503 leaves within DB_TIMEOUT_MS plus a small margin instead of waiting a second timeout.
 */
@Injectable()
export class LoginAuditHook extends ErrorResponseHook {
  private readonly budgetMs: number;

  constructor(
    private readonly ledger: LoginAuditLedger,
    @Optional() database?: DatabaseInfo,
  ) {
    super();
    this.budgetMs = database?.timeoutMs ?? DEFAULT_BUDGET_MS;
  }

  async beforeErrorResponse(request: GatehouseRequest, body: ErrorBody): Promise<void> {
    // A login's own event is its last database write, so a request whose event is committed
    // is never answered 503 afterwards: one event per login, and it matches the answer.
    if (!isLoginRequest(request) || this.ledger.hasRecorded()) return;
    const event = eventForRefusal(body);
    if (isDatabaseUnavailableAnswer(body)) {
      const startedAt = currentRequestContext()?.startedAt ?? Date.now();
      const left = startedAt + this.budgetMs - Date.now();
      await this.ledger.recordWithin(event, Math.max(MIN_AUDIT_WAIT_MS, left));
      return;
    }
    await this.ledger.record(event);
  }
}
