import { Injectable } from '@nestjs/common';
import { ReviewDetector } from '../review-detector.decorator';
import type {
  DetectorContext,
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../review.types';
import { entry, isAccountFailure, isSuccessfulLogin, Span } from './login-events';

interface AccountState {
  failures: number;
  /** Failures per IP, while there are few IPs; more IPs make it a distributed attack instead. */
  failuresByIp: Map<string, number> | undefined;
  successIps: Set<string>;
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
    const ipLimit = thresholds.distributedIps;
    return {
      observe(event: ReviewEvent): void {
        if (event.username === undefined) return;
        const failed = isAccountFailure(event);
        if (!failed && !isSuccessfulLogin(event)) return;
        const state = entry(accounts, event.username, () => ({
          failures: 0,
          failuresByIp: new Map<string, number>(),
          successIps: new Set<string>(),
          span: new Span(),
        }));
        if (failed) {
          state.failures += 1;
          state.span.see(event);
          if (state.failuresByIp) {
            state.failuresByIp.set(event.ip, (state.failuresByIp.get(event.ip) ?? 0) + 1);
            if (state.failuresByIp.size >= ipLimit) state.failuresByIp = undefined;
          }
        } else if (state.successIps.size < ipLimit) {
          // The owner's own IPs are never blocked for the owner's typos.
          state.successIps.add(event.ip);
        }
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [username, state] of accounts) {
          if (state.failures < thresholds.bruteForceFailures || !state.failuresByIp) continue;
          const attackers = [...state.failuresByIp.keys()].filter(
            (ip) => !state.successIps.has(ip),
          );
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
