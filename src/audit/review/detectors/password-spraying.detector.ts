import { Injectable } from '@nestjs/common';
import { DistinctCounter } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule, ReviewEvent } from '../review.types';
import { entry, isAccountFailure, Span } from './login-events';

interface IpState {
  failures: number;
  usernames: DistinctCounter;
  span: Span;
}

/** Password spraying: one IP failing on many existing accounts. The IP is blocked. */
@Injectable()
@ReviewDetector()
export class PasswordSprayingDetector implements ReviewDetectorRule {
  readonly rule = 'password-spraying';
  readonly description = 'One IP failing to log into many existing accounts';

  start({ thresholds }: DetectorContext): DetectorPass {
    const ips = new Map<string, IpState>();
    return {
      observe(event: ReviewEvent): void {
        if (!isAccountFailure(event)) return;
        const state = entry(ips, event.ip, () => ({ failures: 0, usernames: new DistinctCounter(), span: new Span() }));
        state.failures += 1;
        state.usernames.add(event.username!);
        state.span.see(event);
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [ip, state] of ips) {
          if (state.usernames.size < thresholds.sprayingUsernames) continue;
          findings.push({
            rule: 'password-spraying',
            severity: 'high',
            subjectKind: 'ip',
            subject: ip,
            evidence: {
              failures: state.failures,
              distinctUsernames: state.usernames.size,
              sampleUsernames: state.usernames.values().slice(0, 10),
            },
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
