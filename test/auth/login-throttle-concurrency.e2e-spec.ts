import { createPostgresSchema, postgresUrl } from '../support/database';
import { deleteKeys, redisUrl, uniqueKeyPrefix } from '../support/redis';
import { createTestApp, TestApp } from '../support/app';

/*
 * API.md "Concurrency does not buy guesses": the check and the count are one atomic
 * reservation taken before hashing, so however many wrong attempts arrive at once, at most the
 * limit reach the hash and the rest get 429. Proved by the audit trail: each attempt that
 * reached the hash is recorded with its credential reason (`bad_password`, `unknown_user`),
 * each refused one with the lock's reason (`throttled`, `locked`, `ip_blocked`).
 * Run on every store: SQLite, PostgreSQL, and Redis (with PostgreSQL or SQLite beside it).
 */

const PASSWORD = 'amber-lantern-quarry-58';
const WRONG = 'not-the-password-at-all';

interface Store {
  name: string;
  env: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;
}

const stores: Store[] = [
  { name: 'SQLite', env: () => Promise.resolve({ env: {}, cleanup: () => Promise.resolve() }) },
];
if (postgresUrl) {
  stores.push({
    name: 'PostgreSQL',
    env: async () => {
      const schema = await createPostgresSchema();
      return { env: { DATABASE_URL: schema.url }, cleanup: schema.drop };
    },
  });
}
if (redisUrl) {
  stores.push({
    name: 'Redis',
    env: () => {
      const prefix = uniqueKeyPrefix();
      return Promise.resolve({
        env: { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix },
        cleanup: () => deleteKeys(redisUrl!, prefix),
      });
    },
  });
}

describe.each(stores)(
  'concurrent wrong attempts reach the hash at most the limit [$name]',
  (store) => {
    let t: TestApp;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const prepared = await store.env();
      cleanup = prepared.cleanup;
      // A queue long enough for every attempt here: shedding (503 LOGIN_BUSY) is tested apart.
      t = await createTestApp({
        TRUST_PROXY: 'loopback',
        LOGIN_HASH_QUEUE_SIZE: '1000',
        ...prepared.env,
      });
    });

    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    function login(username: string, password: string, ip: string) {
      return t.http
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ username, password })
        .then((response) => ({
          status: response.status,
          code: (response.body as { code?: string }).code,
          retryAfter: response.headers['retry-after'],
        }));
    }

    /** Audit reasons of the events of one type for one username, counted. */
    async function reasonsOf(username: string, types: string[]): Promise<Record<string, number>> {
      const rows = await t.db
        .selectFrom('audit_events')
        .select(['reason'])
        .where('username', '=', username)
        .where('type', 'in', types)
        .execute();
      const counts: Record<string, number> = {};
      for (const row of rows) counts[row.reason ?? ''] = (counts[row.reason ?? ''] ?? 0) + 1;
      return counts;
    }

    const LOGIN_FAILURES = ['authn_login_fail', 'authn_login_fail_max'];

    it('30 simultaneous wrong logins for one pair: exactly 5 checked (401), 25 refused (429 + Retry-After)', async () => {
      await t.createUser('carol', PASSWORD);
      const replies = await Promise.all(
        Array.from({ length: 30 }, () => login('carol', WRONG, '203.0.113.10')),
      );
      const refused = replies.filter((reply) => reply.status === 429);
      expect(replies.filter((reply) => reply.status === 401)).toHaveLength(5);
      expect(refused).toHaveLength(25);
      for (const reply of refused) {
        expect(reply.code).toBe('TOO_MANY_ATTEMPTS');
        expect(Number(reply.retryAfter)).toBeGreaterThan(0);
      }
      expect(await reasonsOf('carol', LOGIN_FAILURES)).toEqual({ bad_password: 5, throttled: 25 });
      // The pair is locked: the right password is refused too.
      expect((await login('carol', PASSWORD, '203.0.113.10')).status).toBe(429);
    });

    it('holds the username limit (20) for simultaneous attempts from many IPs', async () => {
      await t.createUser('dave', PASSWORD);
      const replies = await Promise.all(
        Array.from({ length: 32 }, (_, index) => login('dave', WRONG, `198.51.100.${index + 1}`)),
      );
      expect(replies.filter((reply) => reply.status === 401)).toHaveLength(20);
      expect(await reasonsOf('dave', LOGIN_FAILURES)).toEqual({ bad_password: 20, locked: 12 });
    });

    it('holds the IP limit (50) for simultaneous attempts on many usernames', async () => {
      const ip = '192.0.2.99';
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, index) => login(`nobody-${index}`, WRONG, ip)),
      );
      expect(replies.filter((reply) => reply.status === 401)).toHaveLength(50);
      expect(replies.filter((reply) => reply.status === 429)).toHaveLength(10);
      const rows = await t.db
        .selectFrom('audit_events')
        .select(['reason'])
        .where('ip', '=', ip)
        .where('type', 'in', LOGIN_FAILURES)
        .execute();
      expect(rows.filter((row) => row.reason === 'unknown_user')).toHaveLength(50);
      expect(rows.filter((row) => row.reason === 'ip_blocked')).toHaveLength(10);
    }, 30_000);

    it('POST /auth/password: 20 simultaneous wrong current passwords, exactly 5 checked', async () => {
      await t.createUser('erin', PASSWORD);
      const ip = '203.0.113.20';
      const session = await t.http
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ username: 'erin', password: PASSWORD });
      expect(session.status).toBe(200);
      const setCookie = session.headers['set-cookie'] as unknown as string[];
      const cookies = setCookie.map((header) => header.split(';')[0]);
      const csrf = cookies.find((cookie) => cookie.startsWith('csrf_token='))!.split('=')[1];
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http
            .post('/auth/password')
            .set('X-Forwarded-For', ip)
            .set('Cookie', cookies.join('; '))
            .set('X-CSRF-Token', csrf)
            .send({ currentPassword: WRONG, newPassword: 'a-brand-new-passphrase-93' }),
        ),
      );
      expect(replies.filter((reply) => reply.status === 401)).toHaveLength(5);
      const refused = replies.filter((reply) => reply.status === 429);
      expect(refused).toHaveLength(15);
      for (const reply of refused) expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
      expect(await reasonsOf('erin', ['authn_password_change'])).toEqual({
        bad_password: 5,
        throttled: 15,
      });
    });

    it('a correct password among simultaneous attempts counts as no failure', async () => {
      await t.createUser('gina', PASSWORD);
      const ip = '203.0.113.30';
      const replies = await Promise.all([
        login('gina', WRONG, ip),
        login('gina', PASSWORD, ip),
        login('gina', WRONG, ip),
      ]);
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 401, 401]);
      const [ipCounter] = await t.db
        .selectFrom('login_throttle')
        .select('failures')
        .where('key', '=', `ip:${ip}`)
        .execute();
      // Only where the counters live in the database (the Redis store keeps them in Redis).
      if (ipCounter) expect(Number(ipCounter.failures)).toBe(2);
    });
  },
);
