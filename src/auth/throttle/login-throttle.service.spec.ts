import { LoginThrottleOptions } from './login-throttle.module-definition';
import { doublingLockDurations, LoginThrottleService } from './login-throttle.service';
import { InMemoryThrottleStore } from './testing/in-memory-throttle.store';

// The API.md defaults, in seconds.
const DEFAULTS: LoginThrottleOptions = {
  pairMaxFailures: 5,
  pairWindow: 900,
  pairLock: 60,
  pairLockMax: 900,
  userMaxFailures: 20,
  userWindow: 900,
  userLock: 900,
  ipMaxFailures: 50,
  ipWindow: 900,
  ipBlock: 900,
};

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const OWNER_IP = '198.51.100.10';
const ATTACKER_IP = '203.0.113.66';

describe('LoginThrottleService', () => {
  let store: InMemoryThrottleStore;
  let service: LoginThrottleService;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    store = new InMemoryThrottleStore();
    service = new LoginThrottleService(store, DEFAULTS);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  const advance = (seconds: number): void => {
    jest.setSystemTime(Date.now() + seconds * 1000);
  };

  async function fail(username: string, ip: string, times: number): Promise<boolean[]> {
    const lockedNow: boolean[] = [];
    for (let index = 0; index < times; index++)
      lockedNow.push((await service.recordFailure(username, ip)).lockedNow);
    return lockedNow;
  }

  describe('per (username, IP) pair', () => {
    it('locks the pair for 60 s on the 5th consecutive failure, not before', async () => {
      expect(await fail('alice', ATTACKER_IP, 4)).toEqual([false, false, false, false]);
      expect(await service.check('alice', ATTACKER_IP)).toEqual({ allowed: true });

      expect(await service.recordFailure('alice', ATTACKER_IP)).toEqual({
        lockedNow: true,
        reasons: ['throttled'],
      });
      expect(await service.check('alice', ATTACKER_IP)).toEqual({
        allowed: false,
        reason: 'throttled',
        retryAfterSeconds: 60,
      });
    });

    it('counts down Retry-After and lets the pair try again when the lock ends', async () => {
      await fail('alice', ATTACKER_IP, 5);
      advance(45.2);
      expect(await service.check('alice', ATTACKER_IP)).toMatchObject({
        allowed: false,
        retryAfterSeconds: 15,
      });
      advance(14.8);
      expect(await service.check('alice', ATTACKER_IP)).toEqual({ allowed: true });
    });

    it('locks only that pair: the same user from another IP and another user from that IP pass', async () => {
      await fail('alice', ATTACKER_IP, 5);
      expect(await service.check('alice', OWNER_IP)).toEqual({ allowed: true });
      expect(await service.check('bob', ATTACKER_IP)).toEqual({ allowed: true });
    });

    it('does not lock for 5 failures spread over more than 15 min', async () => {
      await fail('alice', ATTACKER_IP, 4);
      advance(900);
      expect(await fail('alice', ATTACKER_IP, 1)).toEqual([false]);
      expect(await service.check('alice', ATTACKER_IP)).toEqual({ allowed: true });
    });

    it('doubles each repeated lock up to the 15 min cap', async () => {
      // With the defaults the 20th failure also locks the username (a longer lock) and hides
      // the pair ladder; a higher username threshold isolates the pair rule.
      service = new LoginThrottleService(store, {
        ...DEFAULTS,
        userMaxFailures: 1000,
        ipMaxFailures: 1000,
      });
      const locks: number[] = [];
      for (let round = 0; round < 7; round++) {
        expect((await fail('alice', ATTACKER_IP, 5))[4]).toBe(true);
        const decision = await service.check('alice', ATTACKER_IP);
        if (decision.allowed) throw new Error('expected a lock');
        locks.push(decision.retryAfterSeconds);
        advance(decision.retryAfterSeconds);
      }
      expect(locks).toEqual([60, 120, 240, 480, 900, 900, 900]);
    });

    it('resets on success: the counter and the lock history', async () => {
      await fail('alice', OWNER_IP, 5);
      advance(60);
      await fail('alice', OWNER_IP, 4);
      expect(await service.recordSuccess('alice', OWNER_IP)).toEqual({ hadFailures: true });
      // Four more failures do not lock (the count restarted) ...
      expect(await fail('alice', OWNER_IP, 4)).toEqual([false, false, false, false]);
      // ... and the next lock is the first step again, not the doubled one.
      await fail('alice', OWNER_IP, 1);
      expect(await service.check('alice', OWNER_IP)).toMatchObject({
        allowed: false,
        retryAfterSeconds: 60,
      });
    });
  });

  describe('per username', () => {
    it('locks the username for 15 min after 20 failures across IPs, for unknown IPs only', async () => {
      await service.recordSuccess('alice', OWNER_IP);
      // An attacker spreads 20 failures over 20 IPs, so no pair ever locks.
      const results: boolean[] = [];
      for (let index = 0; index < 20; index++)
        results.push(...(await fail('alice', `203.0.113.${index}`, 1)));
      expect(results.slice(0, 19).every((locked) => !locked)).toBe(true);
      expect(results[19]).toBe(true);

      expect(await service.check('alice', '203.0.113.200')).toEqual({
        allowed: false,
        reason: 'locked',
        retryAfterSeconds: 900,
      });
      // The owner keeps logging in from the IP it has used before.
      expect(await service.check('alice', OWNER_IP)).toEqual({ allowed: true });
      // Other usernames are not affected.
      expect(await service.check('bob', '203.0.113.200')).toEqual({ allowed: true });
    });

    it('reports the username lock as lockedNow with its reason', async () => {
      for (let index = 0; index < 19; index++) await fail('carol', `192.0.2.${index}`, 1);
      expect(await service.recordFailure('carol', '192.0.2.250')).toEqual({
        lockedNow: true,
        reasons: ['locked'],
      });
    });

    it('keeps the owner out of an attacker pair lock on the owner IP, and the attacker locked out everywhere new', async () => {
      await service.recordSuccess('alice', OWNER_IP);
      for (let index = 0; index < 4; index++) await fail('alice', `203.0.113.${index}`, 5);
      // 20 failures: every attacker pair is locked and so is the username for new IPs.
      expect(await service.check('alice', '203.0.113.0')).toMatchObject({ allowed: false });
      expect(await service.check('alice', '203.0.113.99')).toMatchObject({
        allowed: false,
        reason: 'locked',
      });
      expect(await service.check('alice', OWNER_IP)).toEqual({ allowed: true });
      // The owner logs in; the username lock still holds for the attacker.
      await service.recordSuccess('alice', OWNER_IP);
      expect(await service.check('alice', '203.0.113.99')).toMatchObject({
        allowed: false,
        reason: 'locked',
      });
    });

    it('counts unknown usernames the same way (the key does not depend on the user existing)', async () => {
      for (let index = 0; index < 20; index++) await fail('nobody-here', `192.0.2.${index}`, 1);
      expect(await service.check('nobody-here', '192.0.2.200')).toMatchObject({
        allowed: false,
        reason: 'locked',
      });
    });
  });

  describe('per IP', () => {
    it('blocks the IP for every username for 15 min after 50 failures across usernames', async () => {
      const results: boolean[] = [];
      for (let index = 0; index < 50; index++)
        results.push(...(await fail(`user${index}`, ATTACKER_IP, 1)));
      expect(results.slice(0, 49).every((locked) => !locked)).toBe(true);
      expect(results[49]).toBe(true);

      expect(await service.check('someone-else', ATTACKER_IP)).toEqual({
        allowed: false,
        reason: 'ip_blocked',
        retryAfterSeconds: 900,
      });
      // Even a username that has logged in from this IP before.
      await store.rememberKnownIp('alice', ATTACKER_IP);
      expect(await service.check('alice', ATTACKER_IP)).toMatchObject({
        allowed: false,
        reason: 'ip_blocked',
      });
      // Other IPs are not affected.
      expect(await service.check('someone-else', OWNER_IP)).toEqual({ allowed: true });
      advance(900);
      expect(await service.check('someone-else', ATTACKER_IP)).toEqual({ allowed: true });
    });
  });

  describe('when several locks apply', () => {
    it('lets a single-IP attack on one account reach the username lock on its 20th failure', async () => {
      const locks: string[] = [];
      for (let round = 0; round < 4; round++) {
        await fail('ivy', ATTACKER_IP, 5);
        const decision = await service.check('ivy', ATTACKER_IP);
        if (decision.allowed) throw new Error('expected a lock');
        locks.push(`${decision.reason}:${decision.retryAfterSeconds}`);
        advance(decision.retryAfterSeconds);
      }
      expect(locks).toEqual(['throttled:60', 'throttled:120', 'throttled:240', 'locked:900']);
    });

    it('answers with the one that lasts longest, so Retry-After is when a retry can pass', async () => {
      // A pair lock (60 s) and, on the same 20th failure, the username lock (900 s).
      for (let index = 0; index < 3; index++) await fail('dave', `192.0.2.${index}`, 5);
      await fail('dave', ATTACKER_IP, 5);
      expect(await service.check('dave', ATTACKER_IP)).toEqual({
        allowed: false,
        reason: 'locked',
        retryAfterSeconds: 900,
      });
    });
  });

  describe('recordSuccess', () => {
    it('says whether the pair had failed before, once', async () => {
      expect(await service.recordSuccess('erin', OWNER_IP)).toEqual({ hadFailures: false });
      await fail('erin', OWNER_IP, 2);
      expect(await service.recordSuccess('erin', OWNER_IP)).toEqual({ hadFailures: true });
      expect(await service.recordSuccess('erin', OWNER_IP)).toEqual({ hadFailures: false });
    });

    it('does not count failures from a window long over', async () => {
      await fail('erin', OWNER_IP, 2);
      advance(901);
      expect(await service.recordSuccess('erin', OWNER_IP)).toEqual({ hadFailures: false });
    });

    it('remembers the IP as known for that username only', async () => {
      await service.recordSuccess('erin', OWNER_IP);
      expect(await store.isKnownIp('erin', OWNER_IP)).toBe(true);
      expect(await store.isKnownIp('frank', OWNER_IP)).toBe(false);
    });
  });

  describe('clearFor (admin unlock)', () => {
    it('lifts the username lock and the pair locks of that username, not the IP block', async () => {
      for (let index = 0; index < 4; index++) await fail('gina', `192.0.2.${index}`, 5);
      for (let index = 0; index < 50; index++) await fail(`spray${index}`, ATTACKER_IP, 1);
      await service.clearFor('gina');
      expect(await service.check('gina', '192.0.2.0')).toEqual({ allowed: true });
      expect(await service.check('gina', '192.0.2.77')).toEqual({ allowed: true });
      expect(await service.check('gina', ATTACKER_IP)).toMatchObject({
        allowed: false,
        reason: 'ip_blocked',
      });
    });
  });

  describe('configuration', () => {
    it('applies configured thresholds and durations', async () => {
      service = new LoginThrottleService(store, {
        ...DEFAULTS,
        pairMaxFailures: 2,
        pairLock: 10,
        pairLockMax: 25,
      });
      const locks: number[] = [];
      for (let round = 0; round < 3; round++) {
        await fail('hank', ATTACKER_IP, 2);
        const decision = await service.check('hank', ATTACKER_IP);
        if (decision.allowed) throw new Error('expected a lock');
        locks.push(decision.retryAfterSeconds);
        advance(decision.retryAfterSeconds);
      }
      expect(locks).toEqual([10, 20, 25]);
    });

    it('builds the doubling ladder up to its cap', () => {
      expect(doublingLockDurations(60, 900)).toEqual([60_000, 120_000, 240_000, 480_000, 900_000]);
      expect(doublingLockDurations(60, 60)).toEqual([60_000]);
      expect(doublingLockDurations(60, 240)).toEqual([60_000, 120_000, 240_000]);
    });
  });
});
