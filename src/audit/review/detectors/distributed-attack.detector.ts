import { DistinctCounter } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type {
  DetectorContext,
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../review.types';
import { entry, isAccountFailure, Span } from './login-events';

interface AccountState {
  failures: number;
  ips: DistinctCounter;
  span: Span;
}

/**
 * A distributed attack on one account: checked failures from many IPs, too many to block one
 * by one, so the account itself is locked. The lock follows the login lockout's rule: it
 * refuses only IPs that never logged into the account (BlocksService), and it ends no session
 * (only a suspicious success does, see `success-after-failures`). It needs both
 * `distributedIps` IPs and `distributedFailures` failures.
 */
@ReviewDetector()
export class DistributedAttackDetector implements ReviewDetectorRule {
  readonly rule = 'distributed-attack';
  readonly description = 'Failed logins on one account from many IPs';

  start({ thresholds }: DetectorContext): DetectorPass {
    const accounts = new Map<string, AccountState>();
    return {
      observe(event: ReviewEvent): void {
        if (!isAccountFailure(event)) return;
        const state = entry(accounts, event.username!, () => ({
          failures: 0,
          ips: new DistinctCounter(),
          span: new Span(),
        }));
        state.failures += 1;
        state.ips.add(event.ip);
        state.span.see(event);
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [username, state] of accounts) {
          if (
            state.ips.size < thresholds.distributedIps ||
            state.failures < thresholds.distributedFailures
          )
            continue;
          findings.push({
            rule: 'distributed-attack',
            severity: 'high',
            subjectKind: 'username',
            subject: username,
            evidence: {
              failures: state.failures,
              distinctIps: state.ips.size,
              sampleIps: state.ips.values().slice(0, 10),
            },
            firstSeen: state.span.firstSeen,
            lastSeen: state.span.lastSeen,
            sampleEventIds: state.span.samples,
            measures: [{ kind: 'lock_account', username }],
          });
        }
        return findings;
      },
    };
  }
}
