import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordHasher } from '../../src/users';
import { ADMIN_PASSWORD, createTestApp, HTTP_ADAPTERS, TestApp } from '../support/app';
import { manualClockOf } from '../support/clock';
import type { ManualClock } from '../../src/testing';

const PASSWORD = 'amber-lantern-quarry-58';
const WRONG = 'not-the-password-at-all';
const OWNER_IP = '198.51.100.10';

const TOO_MANY = { statusCode: 429, code: 'TOO_MANY_ATTEMPTS', message: 'Too many attempts' };
const INVALID = { statusCode: 401, code: 'INVALID_CREDENTIALS', message: 'Invalid credentials' };

interface Attempt {
  status: number;
  body: unknown;
  retryAfter: number | undefined;
  requestId: string;
}

/** One login from one client IP (the apps run with TRUST_PROXY=loopback, so X-Forwarded-For is it). */
async function attempt(
  t: TestApp,
  username: string,
  password: string,
  ip: string,
): Promise<Attempt> {
  const requestId = randomUUID();
  const response = await t.http
    .post('/auth/login')
    .set('X-Forwarded-For', ip)
    .set('X-Request-Id', requestId)
    .send({ username, password });
  const retryAfter = response.headers['retry-after'] as string | undefined;
  return {
    status: response.status,
    body: response.body,
    retryAfter: retryAfter === undefined ? undefined : Number(retryAfter),
    requestId,
  };
}

async function failTimes(
  t: TestApp,
  username: string,
  ip: string,
  times: number,
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  for (let index = 0; index < times; index++) attempts.push(await attempt(t, username, WRONG, ip));
  return attempts;
}

async function eventsOf(t: TestApp, requestId: string) {
  return t.db
    .selectFrom('audit_events')
    .select(['type', 'reason', 'username', 'details', 'ip'])
    .where('request_id', '=', requestId)
    .execute();
}

describe.each(HTTP_ADAPTERS)(
  'login throttling and lockout over HTTP (API.md login rules, defaults) on %s',
  (adapter) => {
    let t: TestApp;
    let verifySpy: jest.SpyInstance;

    beforeAll(async () => {
      t = await createTestApp({ TRUST_PROXY: 'loopback' }, adapter);
      verifySpy = jest.spyOn(t.app.get(PasswordHasher), 'verify');
    });

    afterAll(async () => {
      await t.close();
    });

    describe('per (username, IP) pair', () => {
      it('locks the pair on the 5th failure; then even the correct password gets 429 with Retry-After, unhashed', async () => {
        await t.createUser('pat', PASSWORD);
        const ip = '203.0.113.1';
        const failures = await failTimes(t, 'pat', ip, 5);
        expect(failures.map((failure) => failure.status)).toEqual([401, 401, 401, 401, 401]);
        for (const failure of failures) expect(failure.body).toEqual(INVALID);
        expect(await eventsOf(t, failures[4].requestId)).toEqual([
          expect.objectContaining({ type: 'authn_login_fail_max', username: 'pat' }),
        ]);

        verifySpy.mockClear();
        const locked = await attempt(t, 'pat', PASSWORD, ip);
        expect(locked.status).toBe(429);
        expect(locked.body).toEqual(TOO_MANY);
        expect(locked.retryAfter).toBeGreaterThanOrEqual(59);
        expect(locked.retryAfter).toBeLessThanOrEqual(60);
        // Answered before any password hashing.
        expect(verifySpy).not.toHaveBeenCalled();
        expect(await eventsOf(t, locked.requestId)).toEqual([
          expect.objectContaining({
            type: 'authn_login_fail',
            reason: 'throttled',
            username: 'pat',
            ip,
          }),
        ]);
      });

      it('locks only that pair: the user from another IP, and another user from that IP, log in', async () => {
        await t.createUser('paula', PASSWORD);
        await t.createUser('peter', PASSWORD);
        const ip = '203.0.113.2';
        await failTimes(t, 'paula', ip, 5);
        expect((await attempt(t, 'paula', PASSWORD, ip)).status).toBe(429);
        expect((await attempt(t, 'paula', PASSWORD, '203.0.113.3')).status).toBe(200);
        expect((await attempt(t, 'peter', PASSWORD, ip)).status).toBe(200);
      });

      it('throttles an unknown username the same way, and matches usernames after normalisation', async () => {
        const ip = '203.0.113.4';
        await failTimes(t, 'Ghost', ip, 3);
        await failTimes(t, ' ＧＨＯＳＴ ', ip, 2);
        const locked = await attempt(t, 'ghost', WRONG, ip);
        expect(locked.status).toBe(429);
        expect(locked.body).toEqual(TOO_MANY);
      });

      it('counts only failed credential checks: malformed requests never lock', async () => {
        await t.createUser('mona', PASSWORD);
        const ip = '203.0.113.5';
        for (let index = 0; index < 8; index++) {
          expect((await attempt(t, 'mona', '', ip)).status).toBe(400);
        }
        expect((await attempt(t, 'mona', PASSWORD, ip)).status).toBe(200);
      });

      it('resets the pair on success and records the success after failures', async () => {
        await t.createUser('sam', PASSWORD);
        const ip = '203.0.113.6';
        await failTimes(t, 'sam', ip, 4);
        const success = await attempt(t, 'sam', PASSWORD, ip);
        expect(success.status).toBe(200);
        expect(await eventsOf(t, success.requestId)).toEqual([
          expect.objectContaining({ type: 'authn_login_successafterfail', username: 'sam' }),
        ]);
        // Four more failures do not lock: the count restarted.
        expect((await failTimes(t, 'sam', ip, 4)).map((failure) => failure.status)).toEqual([
          401, 401, 401, 401,
        ]);
        expect((await attempt(t, 'sam', PASSWORD, ip)).status).toBe(200);
      });
    });

    describe('per username', () => {
      it('locks the username after 20 failures from many IPs, for new IPs only: the owner keeps logging in', async () => {
        await t.createUser('olive', PASSWORD);
        expect((await attempt(t, 'olive', PASSWORD, OWNER_IP)).status).toBe(200);

        const failures: Attempt[] = [];
        for (let index = 1; index <= 20; index++)
          failures.push(...(await failTimes(t, 'olive', `192.0.2.${index}`, 1)));
        expect(failures.every((failure) => failure.status === 401)).toBe(true);
        const [lockEvent] = await eventsOf(t, failures[19].requestId);
        expect(lockEvent).toMatchObject({ type: 'authn_login_fail_max', username: 'olive' });
        expect(lockEvent.details).toContain('locked');

        // The attacker, from a fresh IP and with the right password, is refused for 15 min.
        const attacker = await attempt(t, 'olive', PASSWORD, '192.0.2.200');
        expect(attacker.status).toBe(429);
        expect(attacker.body).toEqual(TOO_MANY);
        expect(attacker.retryAfter).toBeGreaterThanOrEqual(899);
        expect(attacker.retryAfter).toBeLessThanOrEqual(900);
        expect(await eventsOf(t, attacker.requestId)).toEqual([
          expect.objectContaining({ reason: 'locked' }),
        ]);

        // The owner, from the IP that logged in before, is not.
        expect((await attempt(t, 'olive', PASSWORD, OWNER_IP)).status).toBe(200);
        // And the lock still holds for the attacker afterwards.
        expect((await attempt(t, 'olive', PASSWORD, '192.0.2.201')).status).toBe(429);
      });

      it('is lifted by an admin unlock', async () => {
        const user = await t.createUser('uma', PASSWORD);
        for (let index = 1; index <= 20; index++)
          await failTimes(t, 'uma', `192.0.2.${100 + index}`, 1);
        expect((await attempt(t, 'uma', PASSWORD, '192.0.2.150')).status).toBe(429);

        const admin = await t.login('admin', ADMIN_PASSWORD);
        expect(admin.status).toBe(200);
        const unlocked = await t.http
          .post(`/users/${user.id}/unlock`)
          .set('Cookie', admin.cookies)
          .set('X-CSRF-Token', admin.csrf);
        expect(unlocked.status).toBe(204);
        expect((await attempt(t, 'uma', PASSWORD, '192.0.2.150')).status).toBe(200);
        // Pair locks of that username are gone too.
        expect((await attempt(t, 'uma', PASSWORD, '192.0.2.101')).status).toBe(200);
      });
    });

    describe('per IP', () => {
      it('blocks an IP for every username after 50 failures across usernames, even a known one', async () => {
        await t.createUser('quinn', PASSWORD);
        const ip = '203.0.113.50';
        expect((await attempt(t, 'quinn', PASSWORD, ip)).status).toBe(200);

        const failures: Attempt[] = [];
        for (let index = 0; index < 50; index++)
          failures.push(...(await failTimes(t, `spray-${index}`, ip, 1)));
        expect(failures.every((failure) => failure.status === 401)).toBe(true);
        const [blockEvent] = await eventsOf(t, failures[49].requestId);
        expect(blockEvent).toMatchObject({ type: 'authn_login_fail_max' });
        expect(blockEvent.details).toContain('ip_blocked');

        const blocked = await attempt(t, 'quinn', PASSWORD, ip);
        expect(blocked.status).toBe(429);
        expect(blocked.body).toEqual(TOO_MANY);
        expect(blocked.retryAfter).toBeGreaterThanOrEqual(899);
        expect(blocked.retryAfter).toBeLessThanOrEqual(900);
        expect(await eventsOf(t, blocked.requestId)).toEqual([
          expect.objectContaining({ reason: 'ip_blocked' }),
        ]);
        expect((await attempt(t, 'nobody-new', WRONG, ip)).status).toBe(429);

        // Other IPs are unaffected.
        expect((await attempt(t, 'quinn', PASSWORD, '203.0.113.51')).status).toBe(200);
      }, 30_000);
    });
  },
);

describe('login throttling with short locks (doubling, expiry)', () => {
  let t: TestApp;
  // The locks end on this clock: the test moves it past each one instead of waiting it out.
  let clock: ManualClock;

  beforeAll(async () => {
    t = await createTestApp({
      TRUST_PROXY: 'loopback',
      LOGIN_PAIR_MAX_FAILURES: '2',
      LOGIN_PAIR_LOCK: '1s',
      LOGIN_PAIR_LOCK_MAX: '2s',
    });
    clock = manualClockOf(t.app);
  });

  afterAll(async () => {
    await t.close();
  });

  it('doubles each repeated pair lock up to the cap, and lets the owner in once it ends', async () => {
    await t.createUser('dora', PASSWORD);
    const ip = '203.0.113.70';
    const retryAfters: (number | undefined)[] = [];
    for (let round = 0; round < 3; round++) {
      expect((await failTimes(t, 'dora', ip, 2)).map((failure) => failure.status)).toEqual([
        401, 401,
      ]);
      const locked = await attempt(t, 'dora', PASSWORD, ip);
      expect(locked.status).toBe(429);
      retryAfters.push(locked.retryAfter);
      // A millisecond before the end the lock still holds, even for the right password...
      clock.advance((locked.retryAfter ?? 0) * 1000 - 1);
      expect((await attempt(t, 'dora', PASSWORD, ip)).status).toBe(429);
      // ...and at its end it is over (the next round's failures lock the pair again).
      clock.advance(1);
    }
    expect(retryAfters).toEqual([1, 2, 2]);
    const success = await attempt(t, 'dora', PASSWORD, ip);
    expect(success.status).toBe(200);
    expect(await eventsOf(t, success.requestId)).toEqual([
      expect.objectContaining({ type: 'authn_login_successafterfail' }),
    ]);
  });
});

describe('login throttle state across a restart', () => {
  it('keeps a lock after the app restarts on the same database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-throttle-restart-'));
    const env = { TRUST_PROXY: 'loopback', DATABASE_URL: `sqlite:${join(dir, 'gatehouse.db')}` };
    try {
      const first = await createTestApp(env);
      try {
        await first.createUser('rita', PASSWORD);
        await failTimes(first, 'rita', '203.0.113.80', 5);
        expect((await attempt(first, 'rita', PASSWORD, '203.0.113.80')).status).toBe(429);
      } finally {
        await first.close();
      }
      const second = await createTestApp(env);
      try {
        const locked = await attempt(second, 'rita', PASSWORD, '203.0.113.80');
        expect(locked.status).toBe(429);
        expect(locked.retryAfter).toBeGreaterThanOrEqual(50);
        expect((await attempt(second, 'rita', PASSWORD, '203.0.113.81')).status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
