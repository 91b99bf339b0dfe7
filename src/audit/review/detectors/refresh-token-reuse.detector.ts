import { AuditEventType, ReviewRuleId } from '../../../common';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { entry, Span } from './login-events';

/**
 * A refresh token used again after its grace period: someone holds a copy. Auth already
 * revoked that session; the review revokes the user's other sessions too.
 */
@ReviewDetector()
export class RefreshTokenReuseDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.RefreshTokenReuse;
  readonly description = 'A rotated refresh token presented again (token theft)';

  start(): DetectorPass {
    const users = new Map<string, { reuses: number; ips: Set<string>; span: Span }>();
    return {
      observe(event): void {
        if (event.type !== AuditEventType.TokenReuse) return;
        const subject = event.username ?? `ip:${event.ip}`;
        const state = entry(users, subject, () => ({
          reuses: 0,
          ips: new Set<string>(),
          span: new Span(),
        }));
        state.reuses += 1;
        if (state.ips.size < 10) state.ips.add(event.ip);
        state.span.see(event);
      },
      findings(): Finding[] {
        return [...users].map(([subject, state]) => {
          const known = !subject.startsWith('ip:');
          return {
            rule: ReviewRuleId.RefreshTokenReuse,
            severity: 'critical' as const,
            subjectKind: known ? ('username' as const) : ('ip' as const),
            subject: known ? subject : subject.slice(3),
            evidence: { reuses: state.reuses, ips: [...state.ips] },
            ...state.span.seen(),
            measures: known ? [{ kind: 'revoke_sessions' as const, username: subject }] : [],
          };
        });
      },
    };
  }
}
