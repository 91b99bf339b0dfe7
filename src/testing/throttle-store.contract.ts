import type { FailurePolicy, ReservationRequest, ThrottleStore, ThrottleSubject } from '../auth';

const T0 = 1_800_000_000_000;
const MINUTE = 60_000;

const pairPolicy: FailurePolicy = {
  maxFailures: 3,
  windowMs: 15 * MINUTE,
  lockDurationsMs: [MINUTE, 2 * MINUTE, 4 * MINUTE],
};

const alicePair: ThrottleSubject = { kind: 'pair', username: 'alice', ip: '10.0.0.1' };

/**
 * The semantics every ThrottleStore must have (see FailurePolicy): the database store runs this
 * on SQLite and PostgreSQL, the in-memory fake runs it too, and a Redis store must pass it.
 * `freshStore` returns a store with no state.
 */
export function behavesAsThrottleStore(freshStore: () => Promise<ThrottleStore>): void {
  let store: ThrottleStore;

  beforeEach(async () => {
    store = await freshStore();
  });

  async function failTimes(
    subject: ThrottleSubject,
    times: number,
    now: number,
    policy = pairPolicy,
  ) {
    const outcomes = [];
    for (let index = 0; index < times; index++)
      outcomes.push(await store.recordFailure(subject, policy, now));
    return outcomes;
  }

  it('creates a counter on the first failure and adds to it inside the window', async () => {
    await store.recordFailure(alicePair, pairPolicy, T0);
    const second = await store.recordFailure(alicePair, pairPolicy, T0 + MINUTE);
    expect(second).toEqual({
      counted: true,
      lockedNow: false,
      counter: { failures: 2, windowStartedAt: T0, lockedUntil: null, lockCount: 0 },
    });
    expect(await store.read([alicePair, { kind: 'ip', ip: '10.0.0.1' }])).toEqual([
      second.counter,
      undefined,
    ]);
  });

  it('opens a new window once the old one is over', async () => {
    await failTimes(alicePair, 2, T0);
    const later = await store.recordFailure(alicePair, pairPolicy, T0 + pairPolicy.windowMs);
    expect(later.counter).toMatchObject({ failures: 1, windowStartedAt: T0 + pairPolicy.windowMs });
  });

  it('locks exactly at the threshold, restarts the count, and ignores failures while locked', async () => {
    const outcomes = await failTimes(alicePair, 3, T0);
    expect(outcomes.map((outcome) => outcome.lockedNow)).toEqual([false, false, true]);
    expect(outcomes[2].counter).toEqual({
      failures: 0,
      windowStartedAt: T0,
      lockedUntil: T0 + MINUTE,
      lockCount: 1,
    });

    const whileLocked = await store.recordFailure(alicePair, pairPolicy, T0 + MINUTE - 1);
    expect(whileLocked).toEqual({ counted: false, lockedNow: false });
    expect((await store.read([alicePair]))[0]).toEqual(outcomes[2].counter);
  });

  it('makes each repeated lock longer along the ladder, then repeats the last step', async () => {
    let now = T0;
    const lockEnds: number[] = [];
    for (let lock = 0; lock < 5; lock++) {
      const outcomes = await failTimes(alicePair, 3, now);
      const counter = outcomes[2].counter!;
      expect(outcomes[2].lockedNow).toBe(true);
      lockEnds.push(counter.lockedUntil! - now);
      now = counter.lockedUntil!; // the attacker comes back as soon as the lock ends
    }
    expect(lockEnds).toEqual([MINUTE, 2 * MINUTE, 4 * MINUTE, 4 * MINUTE, 4 * MINUTE]);
  });

  it('forgets the lock history once a full window has passed after the last lock', async () => {
    await failTimes(alicePair, 3, T0); // lock 1 until T0 + 1 min
    const quietUntil = T0 + MINUTE + pairPolicy.windowMs;
    const outcomes = await failTimes(alicePair, 3, quietUntil);
    expect(outcomes[2].counter).toMatchObject({ lockCount: 1, lockedUntil: quietUntil + MINUTE });
  });

  it('keeps the lock history when the attack resumes sooner', async () => {
    await failTimes(alicePair, 3, T0);
    const soon = T0 + pairPolicy.windowMs; // window over, but the lock ended less than a window ago
    const outcomes = await failTimes(alicePair, 3, soon);
    expect(outcomes[2].counter).toMatchObject({ lockCount: 2, lockedUntil: soon + 2 * MINUTE });
  });

  it('locks on the first failure when the threshold is 1', async () => {
    const outcome = await store.recordFailure(
      { kind: 'ip', ip: '10.0.0.9' },
      { ...pairPolicy, maxFailures: 1 },
      T0,
    );
    expect(outcome).toEqual({
      counted: true,
      lockedNow: true,
      counter: { failures: 0, windowStartedAt: T0, lockedUntil: T0 + MINUTE, lockCount: 1 },
    });
  });

  it('counts concurrent failures exactly, and exactly one of them takes the lock', async () => {
    const subject: ThrottleSubject = { kind: 'user', username: 'bob' };
    const many: FailurePolicy = {
      maxFailures: 1000,
      windowMs: 15 * MINUTE,
      lockDurationsMs: [MINUTE],
    };
    await Promise.all(Array.from({ length: 40 }, () => store.recordFailure(subject, many, T0)));
    expect((await store.read([subject]))[0]?.failures).toBe(40);

    const ipSubject: ThrottleSubject = { kind: 'ip', ip: '192.0.2.7' };
    const policy: FailurePolicy = {
      maxFailures: 10,
      windowMs: 15 * MINUTE,
      lockDurationsMs: [MINUTE],
    };
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () => store.recordFailure(ipSubject, policy, T0)),
    );
    expect(outcomes.filter((outcome) => outcome.lockedNow)).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.counted)).toHaveLength(10);
    expect((await store.read([ipSubject]))[0]).toEqual({
      failures: 0,
      windowStartedAt: T0,
      lockedUntil: T0 + MINUTE,
      lockCount: 1,
    });
  });

  it('resets a pair and returns what it was', async () => {
    await failTimes(alicePair, 2, T0);
    expect(await store.resetPair('alice', '10.0.0.1')).toMatchObject({ failures: 2 });
    expect(await store.read([alicePair])).toEqual([undefined]);
    expect(await store.resetPair('alice', '10.0.0.1')).toBeUndefined();
  });

  it('remembers known IPs per username', async () => {
    await store.rememberKnownIp('alice', '10.0.0.1', T0);
    await store.rememberKnownIp('alice', '10.0.0.1', T0 + 1); // again: an update, not a duplicate
    expect(await store.isKnownIp('alice', '10.0.0.1')).toBe(true);
    expect(await store.isKnownIp('alice', '10.0.0.2')).toBe(false);
    expect(await store.isKnownIp('alicia', '10.0.0.1')).toBe(false);
  });

  it('clears one username: its lock and all its pairs, nobody else, even with look-alike names', async () => {
    const policy = { ...pairPolicy, maxFailures: 100 };
    const subjects: ThrottleSubject[] = [
      { kind: 'user', username: 'al%' },
      { kind: 'pair', username: 'al%', ip: '10.0.0.1' },
      { kind: 'pair', username: 'al%', ip: '::1' },
      { kind: 'pair', username: 'al%x', ip: '10.0.0.1' },
      { kind: 'pair', username: 'al_', ip: '10.0.0.1' },
      { kind: 'pair', username: 'AL%', ip: '10.0.0.1' },
      { kind: 'user', username: 'al%x' },
      { kind: 'ip', ip: '10.0.0.1' },
    ];
    for (const subject of subjects) await store.recordFailure(subject, policy, T0);
    await store.clearUsername('al%');
    const remaining = await store.read(subjects);
    expect(remaining.map((counter) => counter !== undefined)).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('purges only counters that can no longer matter', async () => {
    const window = pairPolicy.windowMs;
    await store.recordFailure({ kind: 'ip', ip: 'old' }, pairPolicy, T0);
    await failTimes({ kind: 'ip', ip: 'locked-long' }, 1, T0, {
      ...pairPolicy,
      maxFailures: 1,
      lockDurationsMs: [10 * window],
    });
    await store.recordFailure({ kind: 'ip', ip: 'recent' }, pairPolicy, T0 + window);
    expect(await store.purgeStale(window, T0 + window + 1)).toBe(1);
    expect(
      (
        await store.read([
          { kind: 'ip', ip: 'old' },
          { kind: 'ip', ip: 'locked-long' },
          { kind: 'ip', ip: 'recent' },
        ])
      ).map((counter) => counter !== undefined),
    ).toEqual([false, true, true]);
  });

  describe('reservations (check and count in one step, API.md "Concurrency does not buy guesses")', () => {
    const loose: FailurePolicy = {
      maxFailures: 1000,
      windowMs: 15 * MINUTE,
      lockDurationsMs: [MINUTE],
    };
    const attemptOf = (
      username: string,
      ip: string,
      limits: { pair?: FailurePolicy; user?: FailurePolicy; ip?: FailurePolicy } = {},
    ): ReservationRequest[] => [
      { subject: { kind: 'ip', ip }, policy: limits.ip ?? loose },
      { subject: { kind: 'user', username }, policy: limits.user ?? loose },
      { subject: { kind: 'pair', username, ip }, policy: limits.pair ?? pairPolicy },
    ];
    const granted = (reservation: Awaited<ReturnType<ThrottleStore['reserve']>>) => {
      if (!reservation.granted) throw new Error('expected a granted reservation');
      return reservation;
    };

    it('grants at most the pair limit of many simultaneous attempts; the rest are refused by the lock', async () => {
      const requests = attemptOf('carol', '10.0.0.5');
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, () => store.reserve(requests, T0)),
      );
      const grantedOnes = outcomes.filter((outcome) => outcome.granted);
      expect(grantedOnes).toHaveLength(pairPolicy.maxFailures);
      // Exactly one of them took the lock, and it holds for the refused ones.
      expect(grantedOnes.filter((outcome) => outcome.subjects[2].lockedNow)).toHaveLength(1);
      for (const outcome of outcomes.filter((outcome) => !outcome.granted)) {
        expect(outcome).toEqual({
          granted: false,
          lockedUntil: [undefined, undefined, T0 + MINUTE],
        });
      }
      // Refused attempts were counted nowhere: the IP and username saw only the granted ones.
      const [ipCounter, userCounter, pairCounter] = await store.read(
        requests.map((request) => request.subject),
      );
      expect(ipCounter?.failures).toBe(pairPolicy.maxFailures);
      expect(userCounter?.failures).toBe(pairPolicy.maxFailures);
      expect(pairCounter).toEqual({
        failures: 0,
        windowStartedAt: T0,
        lockedUntil: T0 + MINUTE,
        lockCount: 1,
      });
    });

    it('holds the username and IP limits the same way, across many pairs at once', async () => {
      const userLimit: FailurePolicy = {
        maxFailures: 7,
        windowMs: 15 * MINUTE,
        lockDurationsMs: [MINUTE],
      };
      const byUser = await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          store.reserve(attemptOf('dave', `10.1.0.${index}`, { user: userLimit }), T0),
        ),
      );
      expect(byUser.filter((outcome) => outcome.granted)).toHaveLength(7);

      const ipLimit: FailurePolicy = {
        maxFailures: 9,
        windowMs: 15 * MINUTE,
        lockDurationsMs: [MINUTE],
      };
      const byIp = await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          store.reserve(attemptOf(`user${index}`, '10.2.0.1', { ip: ipLimit }), T0),
        ),
      );
      expect(byIp.filter((outcome) => outcome.granted)).toHaveLength(9);
      expect(byIp.filter((outcome) => !outcome.granted)).toEqual(
        Array(16).fill({ granted: false, lockedUntil: [T0 + MINUTE, undefined, undefined] }),
      );
    });

    it('lets an attempt through a lock it ignores (the username lock from a known IP), without counting it there', async () => {
      const userLimit: FailurePolicy = {
        maxFailures: 1,
        windowMs: 15 * MINUTE,
        lockDurationsMs: [MINUTE],
      };
      granted(await store.reserve(attemptOf('erin', '10.3.0.1', { user: userLimit }), T0));
      const requests = attemptOf('erin', '10.3.0.2', { user: userLimit });
      expect(await store.reserve(requests, T0 + 1)).toEqual({
        granted: false,
        lockedUntil: [undefined, T0 + MINUTE, undefined],
      });
      requests[1].lockIgnored = true;
      const through = granted(await store.reserve(requests, T0 + 1));
      expect(through.subjects.map((subject) => subject.counted)).toEqual([true, false, true]);
      expect((await store.read([requests[1].subject]))[0]).toMatchObject({
        lockedUntil: T0 + MINUTE,
        lockCount: 1,
      });
    });

    it('takes a released attempt back, including a lock it took', async () => {
      const requests = attemptOf('frank', '10.4.0.1');
      granted(await store.reserve(requests, T0));
      const second = granted(await store.reserve(requests, T0 + 1));
      await store.release(requests, second);
      expect((await store.read([requests[2].subject]))[0]).toMatchObject({
        failures: 1,
        lockedUntil: null,
      });

      granted(await store.reserve(requests, T0 + 2));
      const locking = granted(await store.reserve(requests, T0 + 3));
      expect(locking.subjects[2].lockedNow).toBe(true);
      expect((await store.reserve(requests, T0 + 4)).granted).toBe(false);
      await store.release(requests, locking);
      // The lock is gone and the count is back to the two failures before it.
      expect((await store.read([requests[2].subject]))[0]).toEqual({
        failures: 2,
        windowStartedAt: T0,
        lockedUntil: null,
        lockCount: 0,
      });
      expect((await store.read([requests[0].subject]))[0]?.failures).toBe(2);
      expect((await store.reserve(requests, T0 + 5)).granted).toBe(true);
    });

    it('releases a first attempt back to no failures at all', async () => {
      const requests = attemptOf('gina', '10.5.0.1');
      const first = granted(await store.reserve(requests, T0));
      await store.release(requests, first);
      const counters = await store.read(requests.map((request) => request.subject));
      expect(counters.map((counter) => counter?.failures ?? 0)).toEqual([0, 0, 0]);
    });

    it('never lets more failing attempts through than the limit while others are released at the same time', async () => {
      const requests = attemptOf('hank', '10.6.0.1');
      // Odd attempts fail (their count is kept), even ones succeed (released).
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, async (_, index) => {
          const reservation = await store.reserve(requests, T0);
          if (reservation.granted && index % 2 === 0) await store.release(requests, reservation);
          return reservation.granted;
        }),
      );
      const keptGranted = outcomes.filter((ok, index) => ok && index % 2 === 1).length;
      expect(keptGranted).toBeGreaterThan(0);
      expect(keptGranted).toBeLessThanOrEqual(pairPolicy.maxFailures);
    });
  });
}
