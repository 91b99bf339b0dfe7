import { ReviewRuleId } from '../../../common';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { entry, isUnknownUserFailure, Tally } from './login-events';

/** Username enumeration: one IP trying many usernames that do not exist. The IP is blocked. */
@ReviewDetector()
export class UsernameEnumerationDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.UsernameEnumeration;
  readonly description = 'One IP trying many unknown usernames';

  start({ thresholds }: DetectorContext): DetectorPass {
    /** Per IP: unknown-user failures, and their distinct usernames. */
    const ips = new Map<string, Tally>();
    return {
      observe(event): void {
        if (!isUnknownUserFailure(event)) return;
        entry(ips, event.ip, () => new Tally()).see(event, event.username);
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [ip, { count, distinct, span }] of ips) {
          if (distinct.size < thresholds.enumerationUnknown) continue;
          findings.push({
            rule: ReviewRuleId.UsernameEnumeration,
            severity: 'medium',
            subjectKind: 'ip',
            subject: ip,
            evidence: { failures: count, distinctUnknownUsernames: distinct.size },
            ...span.seen(),
            measures: [{ kind: 'block_ip', ip }],
          });
        }
        return findings;
      },
    };
  }
}
