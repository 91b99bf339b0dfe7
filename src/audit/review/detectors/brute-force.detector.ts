import { ReviewDetector } from '../review-detector.decorator';
import type {
  DetectorContext,
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../review.types';
import { isAccountFailure, isSuccessfulLogin, Span } from './login-events';

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
  readonly rule = 'brute-force';
  readonly description = 'Many failed logins on one account from a few IPs';

  start({ thresholds, history, window }: DetectorContext): DetectorPass {
    const accounts = new Map<string, AccountState>();
    /** Each user's own login IPs (one string until there are two): never blocked for its typos. */
    const ownerIps = new Map<string, string | Set<string>>();
    const ipLimit = thresholds.distributedIps;
    const isOwnerIp = (username: string, ip: string): boolean => {
      const known = ownerIps.get(username);
      return known === ip || (typeof known === 'object' && known.has(ip));
    };
    return {
      observe(event: ReviewEvent): void {
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
          const known = ownerIps.get(username);
          if (known === undefined) ownerIps.set(username, event.ip);
          else if (typeof known === 'string') {
            if (known !== event.ip) ownerIps.set(username, new Set([known, event.ip]));
          } else if (known.size < ipLimit) known.add(event.ip);
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
            (ip) => !isOwnerIp(username, ip) && !before.get(username)?.has(ip),
          );
          findings.push({
            rule: 'brute-force',
            severity: 'high',
            subjectKind: 'username',
            subject: username,
            evidence: {
              failures: state.failures,
              distinctIps: ips.length,
              ips: attackers,
            },
            firstSeen: state.span.firstSeen,
            lastSeen: state.span.lastSeen,
            sampleEventIds: state.span.samples,
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
