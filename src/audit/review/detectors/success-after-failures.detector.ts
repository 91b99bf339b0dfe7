import { ReviewRuleId } from '../../../common';
import { DistinctCounter } from '../distinct-counter';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { entry, isCredentialFailure, isSuccessfulLogin, LoginIps, Span } from './login-events';

/** A success that ended a long enough streak of failures. */
interface Hit {
  ip: string;
  streak: number;
  failureIps: number;
  /** The success came from an IP that also failed in the streak. */
  tookPart: boolean;
  /** The IP had logged into the account earlier in the window. */
  seenInWindow: boolean;
  span: Span;
}

interface AccountState {
  /** Failed password checks since the last success. */
  streak: number;
  streakIps: DistinctCounter | undefined;
  streakSpan: Span | undefined;
  hits: Hit[];
}

/** Hits kept per account: evidence, not a log. */
const HITS_PER_ACCOUNT = 10;
/** Success IPs remembered per user in the window (one string until there are two). */
const SUCCESS_IPS_PER_USER = 32;

/**
 * A success after N consecutive failed password checks, from a suspicious IP: one that took
 * part in the failures, or that never logged into the account before (in the window or
 * within the retention). The guess may have worked, so the account's sessions are revoked.
 * The owner logging in normally from a known IP after someone else's guesses is no
 * compromise, and revoking the owner's sessions for it would let anyone end them at will
 * (issue 10, item 6).
 */
@ReviewDetector()
export class SuccessAfterFailuresDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.SuccessAfterFailures;
  readonly description = 'A successful login right after many failed ones (possible compromise)';

  start({ thresholds, history, window }: DetectorContext): DetectorPass {
    const accounts = new Map<string, AccountState>();
    const successIps = new LoginIps(SUCCESS_IPS_PER_USER);
    return {
      observe(event): void {
        if (event.username === undefined) return;
        if (isCredentialFailure(event)) {
          const state = entry(accounts, event.username, () => ({
            streak: 0,
            streakIps: undefined,
            streakSpan: undefined,
            hits: [],
          }));
          state.streak += 1;
          (state.streakIps ??= new DistinctCounter()).add(event.ip);
          (state.streakSpan ??= new Span()).see(event);
          return;
        }
        if (!isSuccessfulLogin(event)) return;
        const state = accounts.get(event.username);
        if (state !== undefined) {
          if (
            state.streak >= thresholds.successAfterFailures &&
            state.hits.length < HITS_PER_ACCOUNT
          ) {
            const span = state.streakSpan ?? new Span();
            span.see(event);
            state.hits.push({
              ip: event.ip,
              streak: state.streak,
              failureIps: state.streakIps?.size ?? 0,
              tookPart: state.streakIps?.has(event.ip) === true,
              seenInWindow: successIps.has(event.username, event.ip),
              span,
            });
          }
          state.streak = 0;
          state.streakIps = undefined;
          state.streakSpan = undefined;
          if (state.hits.length === 0) accounts.delete(event.username);
        }
        successIps.add(event.username, event.ip);
      },
      async findings(): Promise<Finding[]> {
        const withHits = [...accounts].filter(([, state]) => state.hits.length > 0);
        // Only hits from an IP not seen in the window need the history before it.
        const askHistory = withHits
          .filter(([, state]) => state.hits.some((hit) => !hit.tookPart && !hit.seenInWindow))
          .map(([username]) => username);
        const before =
          askHistory.length === 0
            ? new Map<string, Set<string>>()
            : await history.successfulIpsBefore(askHistory, window.from);
        const findings: Finding[] = [];
        for (const [username, state] of withHits) {
          const suspicious = state.hits.filter(
            (hit) => hit.tookPart || (!hit.seenInWindow && !before.get(username)?.has(hit.ip)),
          );
          if (suspicious.length === 0) continue;
          const span = new Span();
          for (const hit of suspicious) span.merge(hit.span);
          findings.push({
            rule: ReviewRuleId.SuccessAfterFailures,
            severity: 'critical',
            subjectKind: 'username',
            subject: username,
            evidence: {
              failuresBeforeSuccess: Math.max(...suspicious.map((hit) => hit.streak)),
              occurrences: suspicious.length,
              failureIps: Math.max(...suspicious.map((hit) => hit.failureIps)),
              successIps: [...new Set(suspicious.map((hit) => hit.ip))].slice(0, 10),
            },
            ...span.seen(),
            measures: [{ kind: 'revoke_sessions', username }],
          });
        }
        return findings;
      },
    };
  }
}
