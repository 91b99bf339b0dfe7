import { ReviewRuleId } from '../../../common';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { entry, isAccountFailure, Tally } from './login-events';

/**
 * A distributed attack on one account: checked failures from many IPs, too many to block one
 * by one, so the account itself is locked. The lock follows the login lockout's rule: it
 * refuses only IPs that never logged into the account (BlocksService), and it ends no session
 * (only a suspicious success does, see `success-after-failures`). It needs both
 * `distributedIps` IPs and `distributedFailures` failures.
 */
@ReviewDetector()
export class DistributedAttackDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.DistributedAttack;
  readonly description = 'Failed logins on one account from many IPs';

  start({ thresholds }: DetectorContext): DetectorPass {
    /** Per account: checked failures, and their distinct IPs. */
    const accounts = new Map<string, Tally>();
    return {
      observe(event): void {
        if (!isAccountFailure(event)) return;
        entry(accounts, event.username!, () => new Tally()).see(event, event.ip);
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [username, { count, distinct, span }] of accounts) {
          if (distinct.size < thresholds.distributedIps || count < thresholds.distributedFailures)
            continue;
          findings.push({
            rule: ReviewRuleId.DistributedAttack,
            severity: 'high',
            subjectKind: 'username',
            subject: username,
            evidence: {
              failures: count,
              distinctIps: distinct.size,
              sampleIps: distinct.values().slice(0, 10),
            },
            ...span.seen(),
            measures: [{ kind: 'lock_account', username }],
          });
        }
        return findings;
      },
    };
  }
}
