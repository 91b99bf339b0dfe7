import {
  FailureOutcome,
  FailurePolicy,
  GrantedReservation,
  releasedCounter,
  Reservation,
  ReservationRequest,
  reservationOf,
  ThrottleCounter,
  ThrottleStore,
  ThrottleSubject,
} from '../throttle.store';

/**
 * A hand-written fake of the throttle store for unit specs, with the semantics documented on
 * FailurePolicy (test/support/throttle-store.contract.ts holds it to them). One process only:
 * each method runs without awaiting, so it is atomic within the event loop.
 */
export class InMemoryThrottleStore extends ThrottleStore {
  readonly counters = new Map<string, ThrottleCounter>();
  readonly knownIps = new Set<string>();

  read(subjects: readonly ThrottleSubject[]): Promise<(ThrottleCounter | undefined)[]> {
    return Promise.resolve(subjects.map((subject) => copy(this.counters.get(keyOf(subject)))));
  }

  recordFailure(
    subject: ThrottleSubject,
    policy: FailurePolicy,
    now: number,
  ): Promise<FailureOutcome> {
    const key = keyOf(subject);
    const counter = this.counters.get(key) ?? {
      failures: 0,
      windowStartedAt: now,
      lockedUntil: null,
      lockCount: 0,
    };
    if (counter.lockedUntil !== null && counter.lockedUntil > now) {
      return Promise.resolve({ counted: false, lockedNow: false });
    }
    if (counter.windowStartedAt + policy.windowMs <= now) {
      if (counter.lockedUntil === null || counter.lockedUntil + policy.windowMs <= now) {
        counter.lockCount = 0;
      }
      counter.failures = 0;
      counter.windowStartedAt = now;
    }
    counter.failures += 1;
    let lockedNow = false;
    if (counter.failures >= policy.maxFailures) {
      const step = Math.min(counter.lockCount, policy.lockDurationsMs.length - 1);
      counter.lockedUntil = now + policy.lockDurationsMs[step];
      counter.lockCount += 1;
      counter.failures = 0;
      counter.windowStartedAt = now;
      lockedNow = true;
    }
    this.counters.set(key, counter);
    return Promise.resolve({ counted: true, lockedNow, counter: copy(counter) });
  }

  reserve(requests: readonly ReservationRequest[], now: number): Promise<Reservation> {
    const keys = requests.map((request) => keyOf(request.subject));
    const { reservation, writes } = reservationOf(
      keys.map((key) => copy(this.counters.get(key))),
      requests,
      now,
    );
    writes.forEach((counter, index) => {
      if (counter) this.counters.set(keys[index], { ...counter });
    });
    return Promise.resolve(reservation);
  }

  release(requests: readonly ReservationRequest[], reservation: GrantedReservation): Promise<void> {
    requests.forEach((request, index) => {
      const key = keyOf(request.subject);
      const next = releasedCounter(this.counters.get(key), reservation.subjects[index]);
      if (next === null) this.counters.delete(key);
      else if (next) this.counters.set(key, next);
    });
    return Promise.resolve();
  }

  resetPair(username: string, ip: string): Promise<ThrottleCounter | undefined> {
    const key = keyOf({ kind: 'pair', username, ip });
    const previous = this.counters.get(key);
    this.counters.delete(key);
    return Promise.resolve(copy(previous));
  }

  rememberKnownIp(username: string, ip: string): Promise<void> {
    this.knownIps.add(JSON.stringify([username, ip]));
    return Promise.resolve();
  }

  isKnownIp(username: string, ip: string): Promise<boolean> {
    return Promise.resolve(this.knownIps.has(JSON.stringify([username, ip])));
  }

  clearUsername(username: string): Promise<void> {
    const userKey = keyOf({ kind: 'user', username });
    const pairPrefix = `pair:${JSON.stringify([username]).slice(0, -1)},`;
    for (const key of [...this.counters.keys()]) {
      if (key === userKey || key.startsWith(pairPrefix)) this.counters.delete(key);
    }
    return Promise.resolve();
  }

  purgeStale(windowMs: number, now: number): Promise<number> {
    const cutoff = now - windowMs;
    let deleted = 0;
    for (const [key, counter] of [...this.counters]) {
      if (
        counter.windowStartedAt <= cutoff &&
        (counter.lockedUntil === null || counter.lockedUntil <= cutoff)
      ) {
        this.counters.delete(key);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }
}

function keyOf(subject: ThrottleSubject): string {
  if (subject.kind === 'pair') return `pair:${JSON.stringify([subject.username, subject.ip])}`;
  return subject.kind === 'user' ? `user:${subject.username}` : `ip:${subject.ip}`;
}

function copy(counter: ThrottleCounter | undefined): ThrottleCounter | undefined {
  return counter && { ...counter };
}
