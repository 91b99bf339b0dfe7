import { ReviewRuleId } from '../../../common';
import { DistinctCounter, HyperLogLog } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { isFailedLogin, isSuccessfulLogin, Span } from './login-events';

interface IpState {
  failures: number;
  succeeded: boolean;
  usernames: DistinctCounter;
}

/**
 * IPs tracked one by one; past this, a flood of new IPs (a botnet) is only counted, in
 * HyperLogLog sketches, so memory stays bounded however many IPs the campaign uses.
 */
export const STUFFING_TRACKED_IPS = 100_000;

/**
 * Credential stuffing: leaked username/password pairs tried from many IPs, each IP trying
 * only a few accounts, so no single IP trips the spraying or brute-force rules. Counted over
 * IPs that never logged anyone in during the window (a user's own typo is followed by a
 * success from the same IP) and that stay under the per-IP rates of those rules.
 * Reported, not acted on: blocking thousands of residential proxy IPs would hurt more than
 * it helps; the accounts it breaks into are caught by `success-after-failures`.
 */
@ReviewDetector()
export class CredentialStuffingDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.CredentialStuffing;
  readonly description = 'Many IPs, each trying a few accounts, failing across many usernames';

  start({ thresholds }: DetectorContext): DetectorPass {
    const ips = new Map<string, IpState>();
    const overflowIps = new HyperLogLog();
    const overflowUsernames = new HyperLogLog();
    let overflowed = false;
    const span = new Span();
    return {
      observe(event): void {
        const failed = isFailedLogin(event) && event.username !== undefined;
        if (!failed && !isSuccessfulLogin(event)) return;
        let state = ips.get(event.ip);
        if (state === undefined) {
          if (!failed) return;
          if (ips.size >= STUFFING_TRACKED_IPS) {
            overflowed = true;
            overflowIps.add(event.ip);
            overflowUsernames.add(event.username!);
            span.see(event);
            return;
          }
          state = {
            failures: 0,
            succeeded: false,
            usernames: new DistinctCounter(thresholds.sprayingUsernames),
          };
          ips.set(event.ip, state);
        }
        if (!failed) {
          state.succeeded = true;
          return;
        }
        state.failures += 1;
        state.usernames.add(event.username!);
        if (!state.succeeded) span.see(event);
      },
      findings(): Finding[] {
        const usernames = new HyperLogLog();
        usernames.merge(overflowUsernames);
        let ipCount = overflowed ? overflowIps.estimate() : 0;
        let failures = 0;
        const sampleIps: string[] = [];
        for (const [ip, state] of ips) {
          const lowRate =
            state.usernames.size < thresholds.sprayingUsernames &&
            state.failures < thresholds.bruteForceFailures;
          if (state.succeeded || !lowRate) continue;
          ipCount += 1;
          failures += state.failures;
          state.usernames.mergeInto(usernames);
          if (sampleIps.length < 10) sampleIps.push(ip);
        }
        const usernameCount = usernames.estimate();
        if (ipCount < thresholds.stuffingIps || usernameCount < thresholds.stuffingUsernames)
          return [];
        return [
          {
            rule: ReviewRuleId.CredentialStuffing,
            severity: 'critical',
            subjectKind: 'campaign',
            subject: `stuffing:${span.firstSeen}`,
            evidence: {
              distinctIps: ipCount,
              distinctUsernames: usernameCount,
              failures,
              sampleIps,
            },
            ...span.seen(),
          },
        ];
      },
    };
  }
}
