import { Injectable } from '@nestjs/common';
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
  /** Failures per IP, while there are few IPs; more IPs make it a distributed attack instead. */
  failuresByIp: Map<string, number> | undefined;
  span: Span;
}

/**
 * Brute force on one account: many failed attempts from a few IPs. The attacking IPs (those
 * that never logged into the account in the window) are blocked.
 */
@Injectable()
@ReviewDetector()
export class BruteForceDetector implements ReviewDetectorRule {
  readonly rule = 'brute-force';
  readonly description = 'Many failed logins on one account from a few IPs';

  start({ thresholds }: DetectorContext): DetectorPass {
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
            state = { failures: 0, failuresByIp: new Map<string, number>(), span: new Span() };
            accounts.set(username, state);
          }
          state.failures += 1;
          state.span.see(event);
          if (state.failuresByIp) {
            state.failuresByIp.set(event.ip, (state.failuresByIp.get(event.ip) ?? 0) + 1);
            if (state.failuresByIp.size >= ipLimit) state.failuresByIp = undefined;
          }
        } else if (isSuccessfulLogin(event)) {
          const known = ownerIps.get(username);
          if (known === undefined) ownerIps.set(username, event.ip);
          else if (typeof known === 'string') {
            if (known !== event.ip) ownerIps.set(username, new Set([known, event.ip]));
          } else if (known.size < ipLimit) known.add(event.ip);
        }
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [username, state] of accounts) {
          if (state.failures < thresholds.bruteForceFailures || !state.failuresByIp) continue;
          const attackers = [...state.failuresByIp.keys()].filter((ip) => !isOwnerIp(username, ip));
          findings.push({
            rule: 'brute-force',
            severity: 'high',
            subjectKind: 'username',
            subject: username,
            evidence: {
              failures: state.failures,
              distinctIps: state.failuresByIp.size,
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
