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

  /**
   * Takes one login attempt's reservation on all the subjects at once, atomically with every
   * other reservation and release (on one instance and across instances sharing the store):
   * the rule of `reservationOf`. Taken before the password is hashed.
   */
  abstract reserve(requests: readonly ReservationRequest[], now: number): Promise<Reservation>;

  /**
   * Settles a granted reservation whose attempt did not fail a credential check: takes its
   * advance count back (`releasedCounter`), atomically. A failed check needs no call: the
   * attempt is already counted.
   */
  abstract release(
    requests: readonly ReservationRequest[],
    reservation: GrantedReservation,
  ): Promise<void>;
}

/**
 * One subject of a login attempt's reservation (API.md "Concurrency does not buy guesses").
 * `lockIgnored`: a lock on this subject does not refuse the attempt (the username lock, for an
 * IP that has logged into it before); the attempt is then not counted on it either.
 */
export interface ReservationRequest {
  subject: ThrottleSubject;
  policy: FailurePolicy;
  lockIgnored?: boolean;
}

/** What a granted reservation did to one subject. */
export interface SubjectReservation {
  /** The attempt was counted on this subject in advance, as a failure. */
  counted: boolean;
  /** Counting it reached the threshold and locked the subject (its later attempts get 429). */
  lockedNow: boolean;
  /** The counter before and after the reservation (undefined: none existed / not counted). */
  before?: ThrottleCounter;
  after?: ThrottleCounter;
}

export interface GrantedReservation {
  granted: true;
  subjects: SubjectReservation[];
  /** Which backing store took it, for a store that can fall back to another (Redis). */
  via?: 'fallback';
}

export interface RefusedReservation {
  granted: false;
  /** Per subject, the end of the lock that refuses the attempt (undefined: not locked). */
  lockedUntil: (number | undefined)[];
}

export type Reservation = GrantedReservation | RefusedReservation;

export function activeLockEnd(
  counter: ThrottleCounter | undefined,
  now: number,
): number | undefined {
  return counter?.lockedUntil != null && counter.lockedUntil > now
    ? counter.lockedUntil
    : undefined;
}

/** The FailurePolicy applied to a counter that is not locked: the counter after one failure. */
export function failureApplied(
  counter: ThrottleCounter | undefined,
  policy: FailurePolicy,
  now: number,
): { counter: ThrottleCounter; lockedNow: boolean } {
  const next: ThrottleCounter = counter
    ? { ...counter }
    : { failures: 0, windowStartedAt: now, lockedUntil: null, lockCount: 0 };
  if (next.windowStartedAt + policy.windowMs <= now) {
    if (next.lockedUntil === null || next.lockedUntil + policy.windowMs <= now) next.lockCount = 0;
    next.failures = 0;
    next.windowStartedAt = now;
  }
  next.failures += 1;
  if (next.failures < policy.maxFailures) return { counter: next, lockedNow: false };
  const step = Math.min(next.lockCount, policy.lockDurationsMs.length - 1);
  return {
    counter: {
      failures: 0,
      windowStartedAt: now,
      lockedUntil: now + policy.lockDurationsMs[step],
      lockCount: next.lockCount + 1,
    },
    lockedNow: true,
  };
}

/**
 * The reservation rule every store applies in one atomic step, over the counters as they are
 * under its lock: refused when any subject (lock not ignored) is locked; otherwise the attempt
 * is counted in advance on every subject, as a failure, and a subject whose count reaches its
 * threshold locks now. So however many attempts arrive at once, at most `maxFailures` of them
 * get past one subject before its lock refuses the rest. `writes[i]` is the counter to store
 * for subject i (undefined: unchanged).
 */
export function reservationOf(
  counters: readonly (ThrottleCounter | undefined)[],
  requests: readonly ReservationRequest[],
  now: number,
): { reservation: Reservation; writes: (ThrottleCounter | undefined)[] } {
  const lockedUntil = requests.map((request, index) =>
    request.lockIgnored ? undefined : activeLockEnd(counters[index], now),
  );
  if (lockedUntil.some((end) => end !== undefined)) {
    return { reservation: { granted: false, lockedUntil }, writes: requests.map(() => undefined) };
  }
  const writes: (ThrottleCounter | undefined)[] = [];
  const subjects = requests.map((request, index): SubjectReservation => {
    const before = counters[index];
    if (activeLockEnd(before, now) !== undefined) {
      writes.push(undefined);
      return { counted: false, lockedNow: false };
    }
    const { counter, lockedNow } = failureApplied(before, request.policy, now);
    writes.push(counter);
    return { counted: true, lockedNow, before: before && { ...before }, after: counter };
  });
  return { reservation: { granted: true, subjects }, writes };
}

/**
 * Takes back an attempt counted in advance (a success, or an outcome that checked no
 * credential), when nothing else has moved the counter since in a way that depends on it:
 * - a reservation that locked the subject puts the counter back as it was, while that very lock
 *   is still the current one (later attempts were refused, so nothing else was counted);
 * - otherwise one failure is taken off, while the window and lock are still the ones it saw.
 * When the counter has moved on (new window, a lock by later failures, an admin reset), the
 * count stays: erring towards a lock, never towards an extra guess.
 * Returns the counter to store, `null` to delete it, or undefined to leave it.
 */
export function releasedCounter(
  current: ThrottleCounter | undefined,
  reserved: SubjectReservation,
): ThrottleCounter | null | undefined {
  const after = reserved.after;
  if (!reserved.counted || after === undefined || current === undefined) return undefined;
  if (reserved.lockedNow) {
    const sameLock =
      current.lockedUntil === after.lockedUntil && current.lockCount === after.lockCount;
    if (!sameLock) return undefined;
    return reserved.before ? { ...reserved.before } : null;
  }
  const sameWindow =
    current.windowStartedAt === after.windowStartedAt &&
    current.lockedUntil === after.lockedUntil &&
    current.lockCount === after.lockCount;
  if (!sameWindow || current.failures <= 0) return undefined;
  return { ...current, failures: current.failures - 1 };
}
