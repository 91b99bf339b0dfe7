import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AuditEventInput } from '../../audit';
import { ErrorBody, ErrorResponseHook } from '../../common';
import { isLoginRequest, LoginAuditLedger } from './login-audit.ledger';

/** The event for a login refused before the login handler recorded one. */
function eventForRefusal(body: ErrorBody): AuditEventInput {
  const details = { status: body.statusCode, code: body.code };
  if (body.statusCode === 429) {
    return { type: 'excess_rate_limit_exceeded', outcome: 'failure', reason: 'throttled', details };
  }
  if (body.statusCode === 403) {
    return { type: 'malicious_csrf', outcome: 'failure', details };
  }
  if (body.statusCode === 400 || body.statusCode === 413 || body.statusCode === 415) {
    // No username: a malformed body may carry a password where the username should be.
    return { type: 'input_validation_fail', outcome: 'failure', reason: 'invalid_input', details };
  }
  return { type: 'authn_login_fail', outcome: 'failure', details };
}

/** Commits the audit event of a refused login before its error response is written. */
@Injectable()
export class LoginAuditHook extends ErrorResponseHook {
  constructor(private readonly ledger: LoginAuditLedger) {
    super();
  }

  async beforeErrorResponse(request: Request, body: ErrorBody): Promise<void> {
    if (!isLoginRequest(request) || this.ledger.hasRecorded()) return;
    await this.ledger.record(eventForRefusal(body));
  }
}
