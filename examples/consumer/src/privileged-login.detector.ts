import { Injectable } from '@nestjs/common';
import {
  DetectorPass,
  Finding,
  isSuccessfulLogin,
  ReviewDetector,
  ReviewDetectorRule,
  ReviewEvent,
  Span,
} from 'gatehouse';

/** Accounts whose every sign-in the security team wants in the review. */
const WATCHED = new Set(['admin']);

/** This app's own review rule: each sign-in of a watched account, one finding per account. */
@Injectable()
@ReviewDetector()
export class PrivilegedLoginDetector implements ReviewDetectorRule {
  readonly rule = 'privileged-login';
  readonly description = 'A watched, privileged account signed in';

  start(): DetectorPass {
    const seen = new Map<string, { logins: number; span: Span }>();
    return {
      observe(event: ReviewEvent) {
        const username = event.username ?? '';
        if (!isSuccessfulLogin(event) || !WATCHED.has(username)) return;
        const account = seen.get(username) ?? { logins: 0, span: new Span() };
        account.logins += 1;
        account.span.see(event);
        seen.set(username, account);
      },
      findings: (): Finding[] =>
        [...seen].map(([username, { logins, span }]) => ({
          rule: this.rule,
          severity: 'low',
          subjectKind: 'username',
          subject: username,
          evidence: { logins },
          firstSeen: span.firstSeen,
          lastSeen: span.lastSeen,
          sampleEventIds: span.samples,
        })),
    };
  }
}
