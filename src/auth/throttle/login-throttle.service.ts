import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock, SystemClock } from '../../common';
import {
  InjectLoginThrottleOptions,
  LoginThrottleOptions,
} from './login-throttle.module-definition';
import {
  activeLockEnd,
  FailurePolicy,
  GrantedReservation,
  ReservationRequest,
  ThrottleCounter,
  ThrottleStore,
  ThrottleSubject,
} from './throttle.store';
import { errorMessage, type LoginFailureReason } from '../../common';

/**
 * Why a login is refused before its password is looked at:
 * - `throttled`: the (username, IP) pair is locked (5 failures → 60 s, doubling up to 15 min);
 * - `locked`: the username is locked for IPs that have never logged into it;
 * - `ip_blocked`: the IP is blocked for every username.
 * They are also the audit `reason` values of API.md.
 */
export type LoginRefusalReason = Extract<LoginFailureReason, 'locked' | 'ip_blocked' | 'throttled'>;

export type LoginThrottleDecision =
  { allowed: true } | { allowed: false; retryAfterSeconds: number; reason: LoginRefusalReason };

/**
 * A login attempt that may go on to the password check: already counted as a failure on its
 * pair, username and IP (see `reserve`), until it is settled by `succeeded` or `released`.
 */
export interface LoginAttempt {
  readonly usernameNormalized: string;
  readonly ip: string;
  /** This (username, IP) pair has logged in successfully before: its hashing goes first. */
  readonly knownPair: boolean;
  readonly requests: readonly ReservationRequest[];
  readonly reservation: GrantedReservation;
}

export type LoginReservation =
  | { allowed: true; attempt: LoginAttempt }
  | { allowed: false; retryAfterSeconds: number; reason: LoginRefusalReason };

export interface LoginFailureResult {
  /** This failure locked the pair or the username, or blocked the IP. */
  lockedNow: boolean;
  /** Which of them it locked (for audit details); empty when `lockedNow` is false. */
  reasons: LoginRefusalReason[];
}

const SUBJECT_REASON: Record<ThrottleSubject['kind'], LoginRefusalReason> = {
  ip: 'ip_blocked',
  user: 'locked',
  pair: 'throttled',
};

/** Stale counters are swept this often; they only cost space, never a wrong decision. */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/** The lock ladder: `first`, doubled per repeated lock, capped at `max` (which then repeats). */
export function doublingLockDurations(firstSeconds: number, maxSeconds: number): number[] {
  const cap = Math.max(1, maxSeconds) * 1000;
  const durations: number[] = [];
  for (let duration = Math.max(1, firstSeconds) * 1000; duration < cap; duration *= 2) {
    durations.push(duration);
  }
  durations.push(cap);
  return durations;
}

/**
 * The login throttling and lockout rules of API.md. Keys are the normalised username, the
 * (username, IP) pair and the IP, whether or not the user exists. Only failed credential
 * checks count; `check` runs before any password hashing.
 */
@Injectable()
export class LoginThrottleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('LoginThrottle');
  private readonly policies: Record<ThrottleSubject['kind'], FailurePolicy>;
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: ThrottleStore,
    @InjectLoginThrottleOptions() private readonly options: LoginThrottleOptions,
    private readonly clock: Clock = new SystemClock(),
  ) {
    this.policies = {
      pair: {
        maxFailures: options.pairMaxFailures,
        windowMs: options.pairWindow * 1000,
        lockDurationsMs: doublingLockDurations(
          options.pairLock,
          Math.max(options.pairLock, options.pairLockMax),
        ),
      },
      user: {
        maxFailures: options.userMaxFailures,
        windowMs: options.userWindow * 1000,
        lockDurationsMs: [options.userLock * 1000],
      },
      ip: {
        maxFailures: options.ipMaxFailures,
        windowMs: options.ipWindow * 1000,
        lockDurationsMs: [options.ipBlock * 1000],
      },
    };
  }

  onApplicationBootstrap(): void {
    this.purgeTimer = setInterval(() => {
      this.purgeStale().catch((error: unknown) => {
        const message = errorMessage(error);
        this.logger.warn(`Could not purge stale login throttle counters: ${message}`);
      });
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  /**
   * Whether a login attempt may go on to the password check. When several locks apply, the
   * answer names the one that lasts longest, so `retryAfterSeconds` is when a retry can pass.
   */
  async check(usernameNormalized: string, ip: string): Promise<LoginThrottleDecision> {
    const now = this.clock.now();
    const subjects = this.subjectsOf(usernameNormalized, ip);
    const counters = await this.store.read(subjects);
    let refusal: { until: number; reason: LoginRefusalReason } | undefined;
    for (const [index, subject] of subjects.entries()) {
      const lockedUntil = activeLockEnd(counters[index], now);
      if (lockedUntil === undefined) continue;
      // The owner keeps logging in from an IP that has logged into this username before.
      if (subject.kind === 'user' && (await this.store.isKnownIp(usernameNormalized, ip))) continue;
      // Subjects come most general first (IP, user, pair): on equal ends the broader reason wins.
      if (refusal === undefined || lockedUntil > refusal.until) {
        refusal = { until: lockedUntil, reason: SUBJECT_REASON[subject.kind] };
      }
    }
    if (refusal === undefined) return { allowed: true };
    return {
      allowed: false,
      reason: refusal.reason,
      retryAfterSeconds: Math.max(1, Math.ceil((refusal.until - now) / 1000)),
    };
  }

  /**
   * Check and count in one atomic step, before any hashing (API.md "Concurrency does not buy
   * guesses"): refused (429) while a lock applies; otherwise the attempt is counted in advance as
   * a failure on the pair, the username and the IP, and the attempt that reaches a limit takes
   * the lock at once. However many attempts arrive together, at most the limit get through.
   * Settle it with `failed`, `succeeded` or `released`. A process that dies in between leaves
   * the attempt counted as a failure: the error is towards a lock, never towards a guess.
   */
  async reserve(
    usernameNormalized: string,
    ip: string,
    knownPair?: boolean,
  ): Promise<LoginReservation> {
    knownPair ??= await this.isKnownPair(usernameNormalized, ip);
    const now = this.clock.now();
    const requests = this.subjectsOf(usernameNormalized, ip).map((subject): ReservationRequest => ({
      subject,
      policy: this.policies[subject.kind],
      // The owner keeps logging in from an IP that has logged into this username before.
      lockIgnored: subject.kind === 'user' && knownPair,
    }));
    const reservation = await this.store.reserve(requests, now);
    if (reservation.granted) {
      return {
        allowed: true,
        attempt: { usernameNormalized, ip, knownPair, requests, reservation },
      };
    }
    // Several locks: name the one that lasts longest; on equal ends, the broader (IP, user, pair).
    let refusal: { until: number; reason: LoginRefusalReason } | undefined;
    for (const [index, until] of reservation.lockedUntil.entries()) {
      if (until === undefined) continue;
      if (refusal === undefined || until > refusal.until) {
        refusal = { until, reason: SUBJECT_REASON[requests[index].subject.kind] };
      }
    }
    if (refusal === undefined) throw new Error('A refused reservation names no lock');
    return {
      allowed: false,
      reason: refusal.reason,
      retryAfterSeconds: Math.max(1, Math.ceil((refusal.until - now) / 1000)),
    };
  }

  /** This (username, IP) pair has logged in successfully before. */
  isKnownPair(usernameNormalized: string, ip: string): Promise<boolean> {
    return this.store.isKnownIp(usernameNormalized, ip);
  }

  /** A failed credential check: the attempt stays counted; says which locks it took. */
  failed(attempt: LoginAttempt): LoginFailureResult {
    const reasons = attempt.requests
      .filter((_, index) => attempt.reservation.subjects[index].lockedNow)
      .map((request) => SUBJECT_REASON[request.subject.kind]);
    return { lockedNow: reasons.length > 0, reasons };
  }

  /**
   * The attempt checked no credential (refused as busy, an error): its advance count is taken
   * back, so it counts as no failure.
   */
  async released(attempt: LoginAttempt): Promise<void> {
    await this.store.release(attempt.requests, attempt.reservation);
  }

  /**
   * A successful login: its advance count on the username and IP is taken back, then the pair is
   * reset and the IP remembered (`recordSuccess`).
   */
  async succeeded(attempt: LoginAttempt): Promise<{ hadFailures: boolean }> {
    await this.store.release(attempt.requests, attempt.reservation);
    const pairBefore = attempt.reservation.subjects[2]?.before;
    await this.store.resetPair(attempt.usernameNormalized, attempt.ip);
    await this.store.rememberKnownIp(attempt.usernameNormalized, attempt.ip, this.clock.now());
    return {
      hadFailures:
        pairBefore !== undefined &&
        hadRecentFailures(pairBefore, this.policies.pair.windowMs, this.clock.now()),
    };
  }

  /** Counts a failed credential check (401 INVALID_CREDENTIALS) against the pair, username and IP. */
  async recordFailure(usernameNormalized: string, ip: string): Promise<LoginFailureResult> {
    const now = this.clock.now();
    const subjects = this.subjectsOf(usernameNormalized, ip);
    const outcomes = await Promise.all(
      subjects.map((subject) =>
        this.store.recordFailure(subject, this.policies[subject.kind], now),
      ),
    );
    const reasons = subjects
      .filter((_, index) => outcomes[index].lockedNow)
      .map((subject) => SUBJECT_REASON[subject.kind]);
    return { lockedNow: reasons.length > 0, reasons };
  }

  /**
   * A successful login: resets the pair (counter and lock history) and remembers the IP as
   * known for the username. `hadFailures` tells whether this pair had failed recently (in
   * its current window, or a lock that ended less than a window ago) — the OWASP
   * `authn_login_successafterfail` case. The username and IP counters are not reset: an
   * attacker's failures against this account or from this IP still count.
   */
  async recordSuccess(usernameNormalized: string, ip: string): Promise<{ hadFailures: boolean }> {
    const now = this.clock.now();
    const previous = await this.store.resetPair(usernameNormalized, ip);
    await this.store.rememberKnownIp(usernameNormalized, ip, now);
    return {
      hadFailures:
        previous !== undefined && hadRecentFailures(previous, this.policies.pair.windowMs, now),
    };
  }

  /** Admin unlock: clears the username's lock and every pair counter of that username. */
  async clearFor(usernameNormalized: string): Promise<void> {
    await this.store.clearUsername(usernameNormalized);
  }

  /** Deletes counters that can no longer change a decision. */
  purgeStale(now = this.clock.now()): Promise<number> {
    const longestWindow = Math.max(
      ...Object.values(this.policies).map((policy) => policy.windowMs),
    );
    return this.store.purgeStale(longestWindow, now);
  }

  private subjectsOf(username: string, ip: string): ThrottleSubject[] {
    return [
      { kind: 'ip', ip },
      { kind: 'user', username },
      { kind: 'pair', username, ip },
    ];
  }
}

function hadRecentFailures(counter: ThrottleCounter, windowMs: number, now: number): boolean {
  const failedInWindow = counter.failures > 0 && counter.windowStartedAt + windowMs > now;
  const lockedRecently = counter.lockedUntil !== null && counter.lockedUntil + windowMs > now;
  return failedInWindow || lockedRecently;
}
