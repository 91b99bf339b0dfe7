import { ReviewRuleId } from '../../../common';
import { ReviewDetector } from '../review-detector.decorator';
import type { DetectorContext, DetectorPass, Finding, ReviewDetectorRule } from '../review.types';
import { isSuccessfulLogin } from './login-events';

interface FirstSuccess {
  ip: string;
  id: number;
  time: number;
  /** Successful logins of the user in the window before this IP first appeared. */
  successesBefore: number;
}

interface UserState {
  successes: number;
  /** The user's distinct success IPs in order of first use; bounded per user. */
  ips: Map<string, FirstSuccess>;
}

const IPS_PER_USER = 32;
const HISTORY_BATCH = 500;

/**
 * A successful login from an IP the user never logged in from within the retention period.
 * The history is the audit trail itself (successful login events before the window, within
 * `AUDIT_RETENTION_DAYS`), not `login_known_ips`: that table is already updated by the
 * logins under review, and it forgets when an IP was first seen. A user needs
 * `newIpMinHistory` earlier successes from other IPs, so a first-ever login is not news.
 * Reported only: a new IP is a signal to look, not proof.
 */
@ReviewDetector()
export class NewIpSuccessDetector implements ReviewDetectorRule {
  readonly rule = ReviewRuleId.NewIpSuccess;
  readonly description = 'A successful login from an IP never seen for that user';

  start({ thresholds, history, window }: DetectorContext): DetectorPass {
    const users = new Map<string, UserState>();
    return {
      observe(event): void {
        if (event.username === undefined || !isSuccessfulLogin(event)) return;
        let state = users.get(event.username);
        if (state === undefined) {
          state = { successes: 0, ips: new Map<string, FirstSuccess>() };
          users.set(event.username, state);
        }
        if (!state.ips.has(event.ip) && state.ips.size < IPS_PER_USER) {
          state.ips.set(event.ip, {
            ip: event.ip,
            id: event.id,
            time: event.time,
            successesBefore: state.successes,
          });
        }
        state.successes += 1;
      },
      async findings(): Promise<Finding[]> {
        const usernames = [...users.keys()];
        const findings: Finding[] = [];
        for (let start = 0; start < usernames.length; start += HISTORY_BATCH) {
          const batch = usernames.slice(start, start + HISTORY_BATCH);
          const before = await history.successfulIpsBefore(batch, window.from);
          for (const username of batch) {
            const state = users.get(username)!;
            const prior = before.get(username) ?? new Set<string>();
            const fresh = [...state.ips.values()].filter(
              (first) =>
                !prior.has(first.ip) &&
                // Known history counts as enough; otherwise the window's own earlier logins must be.
                (prior.size > 0 || first.successesBefore >= thresholds.newIpMinHistory),
            );
            if (fresh.length === 0) continue;
            const times = fresh.map((first) => first.time);
            findings.push({
              rule: ReviewRuleId.NewIpSuccess,
              severity: 'medium',
              subjectKind: 'username',
              subject: username,
              evidence: {
                newIps: fresh.map((first) => first.ip).slice(0, 10),
                knownIps: prior.size,
                successes: state.successes,
              },
              firstSeen: new Date(Math.min(...times)).toISOString(),
              lastSeen: new Date(Math.max(...times)).toISOString(),
              sampleEventIds: fresh.map((first) => first.id).slice(0, 10),
            });
          }
        }
        return findings;
      },
    };
  }
}
