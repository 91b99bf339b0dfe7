import { Injectable } from '@nestjs/common';
import { DistinctCounter } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type {
  DetectorContext,
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../review.types';
import { entry, isCredentialFailure, isSuccessfulLogin, Span } from './login-events';

interface AccountState {
  /** Failed password checks since the last success. */
  streak: number;
  streakIps: DistinctCounter | undefined;
  streakSpan: Span | undefined;
  /** Set once a success ended a long enough streak. */
  hit?: {
    maxStreak: number;
    occurrences: number;
    successIps: DistinctCounter;
    failureIps: number;
    span: Span;
  };
}

/**
 * A success after N consecutive failed password checks: the guess may have worked. The
 * account's sessions are revoked, so a stolen session ends and the owner logs in again.
 */
@Injectable()
@ReviewDetector()
export class SuccessAfterFailuresDetector implements ReviewDetectorRule {
  readonly rule = 'success-after-failures';
  readonly description = 'A successful login right after many failed ones (possible compromise)';

  start({ thresholds }: DetectorContext): DetectorPass {
    const accounts = new Map<string, AccountState>();
    return {
      observe(event: ReviewEvent): void {
        if (event.username === undefined) return;
        if (isCredentialFailure(event)) {
          const state = entry(accounts, event.username, () => ({
            streak: 0,
            streakIps: undefined,
            streakSpan: undefined,
          }));
          state.streak += 1;
          (state.streakIps ??= new DistinctCounter()).add(event.ip);
          (state.streakSpan ??= new Span()).see(event);
          return;
        }
        if (!isSuccessfulLogin(event)) return;
        const state = accounts.get(event.username);
        if (state === undefined) return;
        if (state.streak >= thresholds.successAfterFailures) {
          const hit = (state.hit ??= {
            maxStreak: 0,
            occurrences: 0,
            successIps: new DistinctCounter(),
            failureIps: 0,
            span: state.streakSpan ?? new Span(),
          });
          hit.occurrences += 1;
          hit.maxStreak = Math.max(hit.maxStreak, state.streak);
          hit.failureIps = Math.max(hit.failureIps, state.streakIps?.size ?? 0);
          hit.successIps.add(event.ip);
          hit.span.see(event);
        }
        state.streak = 0;
        state.streakIps = undefined;
        state.streakSpan = undefined;
        if (!state.hit) accounts.delete(event.username);
      },
      findings(): Finding[] {
        const findings: Finding[] = [];
        for (const [username, state] of accounts) {
          if (!state.hit) continue;
          const { hit } = state;
          findings.push({
            rule: 'success-after-failures',
            severity: 'critical',
            subjectKind: 'username',
            subject: username,
            evidence: {
              failuresBeforeSuccess: hit.maxStreak,
              occurrences: hit.occurrences,
              failureIps: hit.failureIps,
              successIps: hit.successIps.values().slice(0, 10),
            },
            firstSeen: hit.span.firstSeen,
            lastSeen: hit.span.lastSeen,
            sampleEventIds: hit.span.samples,
            measures: [{ kind: 'revoke_sessions', username }],
          });
        }
        return findings;
      },
    };
  }
}
