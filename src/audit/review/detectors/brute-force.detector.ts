import { ReviewRuleId } from '../../../common';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { isAccountFailure, isSuccessfulLogin, LoginIps, Span } from './login-events';

interface AccountState {
  failures: number;
  /**
   * The failing IPs while there are few; more IPs make it a distributed attack instead
   * (`tooManyIps`). One IP is held as a string, without a Set: most accounts that fail at all
   * fail from one IP, and there are as many of these states as such accounts.
   */
  ips: string | Set<string> | undefined;
  tooManyIps: boolean;
  span: Span;
}

/**
 * Brute force on one account: many checked failures from a few IPs. The attacking IPs are
 * blocked: those that never logged into the account, in the window or before it (within the
 * retention), since an IP block refuses everyone behind that IP.
 */
@ReviewDetector()
export class BruteForceDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.BruteForce;
  readonly description = 'Many failed logins on one account from a few IPs';

  start({ thresholds, history, window }: DetectorContext): DetectorPass {
    const accounts = new Map<string, AccountState>();
    const ipLimit = thresholds.distributedIps;
    /** Each user's own login IPs: never blocked for its typos. */
    const ownerIps = new LoginIps(ipLimit);
    return {
      observe(event): void {
        const username = event.username;
        if (username === undefined) return;
        if (isAccountFailure(event)) {
          let state = accounts.get(username);
          if (state === undefined) {
            state = { failures: 0, ips: undefined, tooManyIps: false, span: new Span() };
            accounts.set(username, state);
          }
          state.failures += 1;
          state.span.see(event);
          if (!state.tooManyIps) {
            const ips = state.ips;
            if (ips === undefined) state.ips = event.ip;
            else if (typeof ips === 'string') {
              if (ips !== event.ip) state.ips = new Set([ips, event.ip]);
            } else ips.add(event.ip);
            if (distinctCount(state.ips) >= ipLimit) {
              state.tooManyIps = true;
              state.ips = undefined;
            }
          }
        } else if (isSuccessfulLogin(event)) {
          ownerIps.add(username, event.ip);
        }
      },
      async findings(): Promise<Finding[]> {
        const found = [...accounts].filter(
          ([, state]) => state.failures >= thresholds.bruteForceFailures && !state.tooManyIps,
        );
        const before =
          found.length === 0
            ? new Map<string, Set<string>>()
            : await history.successfulIpsBefore(
                found.map(([username]) => username),
                window.from,
              );
        const findings: Finding[] = [];
        for (const [username, state] of found) {
          const ips = typeof state.ips === 'string' ? [state.ips] : [...(state.ips ?? [])];
          const attackers = ips.filter(
            (ip) => !ownerIps.has(username, ip) && !before.get(username)?.has(ip),
          );
          findings.push({
            rule: ReviewRuleId.BruteForce,
            severity: 'high',
            subjectKind: 'username',
            subject: username,
            evidence: {
              failures: state.failures,
              distinctIps: ips.length,
              ips: attackers,
            },
            ...state.span.seen(),
            measures: attackers.map((ip) => ({ kind: 'block_ip' as const, ip })),
          });
        }
        return findings;
      },
    };
  }
}

function distinctCount(ips: string | Set<string> | undefined): number {
  return ips === undefined ? 0 : typeof ips === 'string' ? 1 : ips.size;
}
