/**
 * Storage of the login throttle: failure counters with a fixed window, and the IPs that have
 * logged into each username. The rules (which subjects, which thresholds, how long a lock lasts)
 * live in LoginThrottleService; a store only applies a FailurePolicy atomically, so that
 * concurrent requests and several instances sharing the store never lose a count.
 *
 * The abstract class is the injection token. The Kysely store is the default; a Redis store
 * (issue 6) binds here with the same semantics.
 */

/** What one counter is about. Usernames are normalised (NFKC, trimmed, lower-cased). */
export type ThrottleSubject =
  | { kind: 'pair'; username: string; ip: string }
  | { kind: 'user'; username: string }
  | { kind: 'ip'; ip: string };

/** One counter as stored. Times are epoch milliseconds. */
export interface ThrottleCounter {
  /** Failures counted in the current window (0 right after a lock). */
  failures: number;
  windowStartedAt: number;
  /** End of the latest lock; in the past once it has run out. */
  lockedUntil: number | null;
  /** Locks so far (reset by a success on a pair, or after a quiet window; see FailurePolicy). */
  lockCount: number;
}

/**
 * How one failure is applied to a counter. Semantics every store implements in one atomic step:
 * - While the counter is locked (`lockedUntil > now`) the failure is not counted (`counted: false`):
 *   only requests that passed the check count, and a lock is not extended by its own refusals.
 * - A window that started `windowMs` ago or earlier is over: the failure opens a new window with
 *   a count of 1. Otherwise it adds 1.
 * - When the count reaches `maxFailures` the counter locks for
 *   `lockDurationsMs[min(lockCount, lockDurationsMs.length - 1)]`, `lockCount` grows by one,
 *   and the count restarts at 0 in a window opened now.
 * - `lockCount` is forgotten (back to 0) when a new window opens and the last lock ended at least
 *   `windowMs` before: a lock repeats (and grows) only while the attack continues.
 */
export interface FailurePolicy {
  maxFailures: number;
  windowMs: number;
  /** Lock durations by the number of earlier locks; the last one repeats (the cap). */
  lockDurationsMs: readonly number[];
}

export interface FailureOutcome {
  /** False when the subject was already locked and the failure was ignored. */
  counted: boolean;
  /** True when this very failure locked the subject. */
  lockedNow: boolean;
  /** The counter after the failure; undefined when it was not counted. */
  counter?: ThrottleCounter;
}

export abstract class ThrottleStore {
  /** The counters of the subjects, in the same order; undefined where none exists. */
  abstract read(subjects: readonly ThrottleSubject[]): Promise<(ThrottleCounter | undefined)[]>;

  /** Counts one failed credential check against the subject, atomically (see FailurePolicy). */
  abstract recordFailure(
    subject: ThrottleSubject,
    policy: FailurePolicy,
    now: number,
  ): Promise<FailureOutcome>;

  /** Forgets a pair's counter and lock history; returns what it was. */
  abstract resetPair(username: string, ip: string): Promise<ThrottleCounter | undefined>;

  /** Remembers that this IP has logged into this username successfully. */
  abstract rememberKnownIp(username: string, ip: string, now: number): Promise<void>;

  abstract isKnownIp(username: string, ip: string): Promise<boolean>;

  /** Admin unlock: forgets the username's counter and every pair counter of that username. */
  abstract clearUsername(username: string): Promise<void>;

  /**
   * Deletes counters that can no longer affect a decision: window over, no lock in force, and
   * the last lock ended at least `windowMs` ago. Returns how many were deleted.
   */
  abstract purgeStale(windowMs: number, now: number): Promise<number>;
}
