import { ReviewRuleId } from '../../../common';
import { DistinctCounter } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type {
  DetectorContext,
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../review.types';
import { isLoginLockout, Span } from './login-events';

interface Burst {
  accounts: DistinctCounter;
  ips: DistinctCounter;
  lockEvents: number;
  span: Span;
}

/**
 * Many accounts locked within a short time: someone is using the lockout to deny service.
 * A sliding window over lock events; overlapping stretches above the threshold make one
 * finding. Memory is the lock events of one window, never the whole day.
 */
@ReviewDetector()
export class LockoutBurstDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.LockoutBurst;
  readonly description = 'Many accounts locked out within a short time';

  start({ thresholds }: DetectorContext): DetectorPass {
    const windowMs = thresholds.lockoutBurstWindow * 1000;
    const recent: ReviewEvent[] = [];
    let head = 0;
    const perAccount = new Map<string, number>();
    const bursts: Burst[] = [];
    let open: Burst | undefined;
    return {
      observe(event): void {
        if (!isLoginLockout(event)) return;
        recent.push(event);
        perAccount.set(event.username!, (perAccount.get(event.username!) ?? 0) + 1);
        while (head < recent.length && recent[head].time <= event.time - windowMs) {
          const old = recent[head++].username!;
          const left = perAccount.get(old)! - 1;
          if (left === 0) perAccount.delete(old);
          else perAccount.set(old, left);
        }
        if (head > 1024 && head * 2 > recent.length) {
          recent.splice(0, head);
          head = 0;
        }
        if (perAccount.size >= thresholds.lockoutBurstAccounts) {
          if (!open) {
            open = {
              accounts: new DistinctCounter(),
              ips: new DistinctCounter(),
              lockEvents: 0,
              span: new Span(),
            };
            bursts.push(open);
            // The burst starts with the lock events that made it one.
            for (let i = head; i < recent.length - 1; i += 1) addTo(open, recent[i]);
          }
          addTo(open, event);
        } else {
          open = undefined;
        }
      },
      findings(): Finding[] {
        return bursts.map((burst) => ({
          rule: ReviewRuleId.LockoutBurst,
          severity: 'high' as const,
          subjectKind: 'campaign' as const,
          subject: `lockout:${burst.span.firstSeen}`,
          evidence: {
            accountsLocked: burst.accounts.size,
            lockEvents: burst.lockEvents,
            distinctIps: burst.ips.size,
            sampleIps: burst.ips.values().slice(0, 10),
          },
          ...burst.span.seen(),
        }));
      },
    };
  }
}

function addTo(burst: Burst, event: ReviewEvent): void {
  burst.accounts.add(event.username!);
  burst.ips.add(event.ip);
  burst.lockEvents += 1;
  burst.span.see(event);
}
