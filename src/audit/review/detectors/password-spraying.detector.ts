import { ReviewRuleId } from '../../../common';
import { DistinctCounter } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { isAccountFailure, isSuccessfulLogin, Span } from './login-events';

/** Usernames tracked exactly per IP; beyond this an IP is spraying anyway and is only counted. */
const EXACT_USERNAMES_PER_IP = 256;

interface IpState {
  failures: number;
  /**
   * The one failed username while there is one (most IPs only ever fail on their own user's
   * account, so no Map for them); `resolved` is then 1 once it logged in from this IP.
   */
  onlyName: string | undefined;
  /** Failed usernames, true once that user logged in from this IP (a typo, not an attack). */
  failed: Map<string, boolean> | undefined;
  overflow: DistinctCounter | undefined;
  resolved: number;
  span: Span;
}

/**
 * Password spraying: one IP failing on many existing accounts. A username that fails and
 * then logs in from the same IP is its owner's typo, which matters behind an office NAT
 * where many users share one IP; those are not counted. The IP is blocked.
 */
@ReviewDetector()
export class PasswordSprayingDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.PasswordSpraying;
  readonly description = 'One IP failing to log into many existing accounts';

  start({ thresholds }: DetectorContext): DetectorPass {
    const ips = new Map<string, IpState>();
    return {
      observe(event): void {
        if (isSuccessfulLogin(event)) {
          const state = ips.get(event.ip);
          if (state === undefined || event.username === undefined) return;
          if (state.onlyName !== undefined) {
            if (state.onlyName === event.username) state.resolved = 1;
          } else if (state.failed?.get(event.username) === false) {
            state.failed.set(event.username, true);
            state.resolved += 1;
          }
          return;
        }
        if (!isAccountFailure(event)) return;
        const username = event.username!;
        let state = ips.get(event.ip);
        if (state === undefined) {
          state = {
            failures: 0,
            onlyName: username,
            failed: undefined,
            overflow: undefined,
            resolved: 0,
            span: new Span(),
          };
          ips.set(event.ip, state);
        } else if (state.onlyName !== undefined) {
          if (state.onlyName !== username) {
            state.failed = new Map([
              [state.onlyName, state.resolved === 1],
              [username, false],
            ]);
            state.onlyName = undefined;
          }
        } else if (state.failed) {
          if (!state.failed.has(username)) state.failed.set(username, false);
          if (state.failed.size > EXACT_USERNAMES_PER_IP) {
            state.overflow = new DistinctCounter(0);
            for (const name of state.failed.keys()) state.overflow.add(name);
            state.failed = undefined;
          }
        } else {
          state.overflow!.add(username);
        }
        state.failures += 1;
        state.span.see(event);
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [ip, state] of ips) {
          const named =
            state.onlyName !== undefined
              ? 1
              : state.failed
                ? state.failed.size
                : state.overflow!.size;
          const distinct = named - state.resolved;
          if (distinct < thresholds.sprayingUsernames) continue;
          const sample =
            state.onlyName !== undefined
              ? state.resolved === 0
                ? [state.onlyName]
                : []
              : state.failed
                ? [...state.failed]
                    .filter(([, resolved]) => !resolved)
                    .map(([name]) => name)
                    .slice(0, 10)
                : [];
          findings.push({
            rule: ReviewRuleId.PasswordSpraying,
            severity: 'high',
            subjectKind: 'ip',
            subject: ip,
            evidence: {
              failures: state.failures,
              distinctUsernames: distinct,
              sampleUsernames: sample,
            },
            ...state.span.seen(),
            measures: [{ kind: 'block_ip', ip }],
          });
        }
        return findings;
      },
    };
  }
}
