import type { FailurePolicy, ThrottleStore, ThrottleSubject } from '../auth/throttle';

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
}
