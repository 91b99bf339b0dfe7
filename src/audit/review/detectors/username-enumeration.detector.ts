import { DistinctCounter } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type {
  DetectorContext,
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../review.types';
import { entry, isUnknownUserFailure, Span } from './login-events';

interface IpState {
  failures: number;
  usernames: DistinctCounter;
  span: Span;
}

/** Username enumeration: one IP trying many usernames that do not exist. The IP is blocked. */
@ReviewDetector()
export class UsernameEnumerationDetector implements ReviewDetectorRule {
  readonly rule = 'username-enumeration';
  readonly description = 'One IP trying many unknown usernames';

  start({ thresholds }: DetectorContext): DetectorPass {
    const ips = new Map<string, IpState>();
    return {
      observe(event: ReviewEvent): void {
        if (!isUnknownUserFailure(event)) return;
        const state = entry(ips, event.ip, () => ({
          failures: 0,
          usernames: new DistinctCounter(),
          span: new Span(),
        }));
        state.failures += 1;
        if (event.username !== undefined) state.usernames.add(event.username);
        state.span.see(event);
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [ip, state] of ips) {
          if (state.usernames.size < thresholds.enumerationUnknown) continue;
          findings.push({
            rule: 'username-enumeration',
            severity: 'medium',
            subjectKind: 'ip',
            subject: ip,
            evidence: { failures: state.failures, distinctUnknownUsernames: state.usernames.size },
            firstSeen: state.span.firstSeen,
            lastSeen: state.span.lastSeen,
            sampleEventIds: state.span.samples,
            measures: [{ kind: 'block_ip', ip }],
          });
        }
        return findings;
      },
    };
  }
}
