import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { createPostgresSchema, postgresUrl } from './support/database';
import { Browser, type Reply } from './support/browser';
import { freePort, isolatedEnv, runCliAsync, ServerProcess, startServer } from './support/process';
import {
  deleteKeys,
  PrivateRedis,
  redisUrl,
  startPrivateRedis,
  uniqueKeyPrefix,
} from './support/redis';
import { startTcpProxy, TcpProxy } from './support/tcp-proxy';

/*
 * Several instances sharing one PostgreSQL and one Redis (issue 6), with real processes: the
 * built server (`dist/main.js`) started twice per deployment, on its own port each.
 * - Deployment 1 (A, B): the shared Redis (TEST_REDIS_URL) under a unique key prefix.
 * - Deployment 2 (C, D): a private redis-server the test stops and restarts, and PostgreSQL
 *   reached through a TCP proxy the test cuts and restores.
 * Each deployment has a fresh PostgreSQL schema; everything is removed at the end.
 */

const ADMIN = { username: 'admin', password: 'multi-instance-admin-4kq9' };
const USER_PASSWORD = 'amber-lantern-quarry-58';
const WRONG_PASSWORD = 'not-the-password-at-all';
const PAIR_MAX_FAILURES = 5;
const DB_TIMEOUT_MS = 1500;

async function signedIn(server: ServerProcess, username: string): Promise<Browser> {
  const browser = new Browser();
  const reply = await browser.login(server, username, USER_PASSWORD);
  expect(reply.status).toBe(200);
  return browser;
}

/** Polls `probe` every 50 ms until it holds; resolves with the time it took. */
async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function health(server: ServerProcess, path: '/health' | '/health/ready'): Promise<Reply> {
  return new Browser().send(server, 'GET', path);
}

/** The environment every instance of one deployment shares (secrets, database, Redis). */
function deploymentEnv(
  databaseUrl: string,
  redis: string,
  keyPrefix: string,
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis,
    REDIS_KEY_PREFIX: keyPrefix,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    REVIEW_ENABLED: 'false',
    LOG_LEVEL: 'info',
    // Only the pair lock is under test; every request comes from 127.0.0.1.
    LOGIN_PAIR_MAX_FAILURES: String(PAIR_MAX_FAILURES),
    LOGIN_USER_MAX_FAILURES: '10000',
    LOGIN_IP_MAX_FAILURES: '10000',
    RATE_LIMIT_PER_MINUTE: '100000',
    REFRESH_REUSE_GRACE: '0',
    DB_TIMEOUT_MS: String(DB_TIMEOUT_MS),
  };
}

/**
 * Starts the instances of one deployment at the same time on an empty database, as an
 * orchestrator would: migrations and the first admin must survive the race.
 */
async function startDeployment(
  shared: Record<string, string>,
  count: number,
): Promise<ServerProcess[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startServer(isolatedEnv(shared))),
  );
  const servers = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failed.reason;
  }
  return servers;
}

async function createUsers(server: ServerProcess, usernames: string[]): Promise<void> {
  const admin = await adminBrowser(server);
  for (const username of usernames) {
    const created = await admin.send(server, 'POST', '/users', {
      username,
      password: USER_PASSWORD,
      roles: ['user'],
    });
    expect(created.status).toBe(201);
  }
}

async function adminBrowser(server: ServerProcess): Promise<Browser> {
  const browser = new Browser();
  const reply = await browser.login(server, ADMIN.username, ADMIN.password);
  expect(reply.status).toBe(200);
  return browser;
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

function viaProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}

const enabled = Boolean(postgresUrl && redisUrl);
const title = 'several instances on PostgreSQL and Redis';
(enabled ? describe : describe.skip)(
  enabled ? title : `${title} [skipped: TEST_POSTGRES_URL and TEST_REDIS_URL not both set]`,
  () => {
    jest.setTimeout(60_000);

    describe('two instances sharing PostgreSQL and Redis', () => {
      const keyPrefix = uniqueKeyPrefix();
      let schema: { url: string; drop: () => Promise<void> };
      let db: Pool;
      let redis: Redis;
      let a: ServerProcess;
      let b: ServerProcess;
      let deployment: Record<string, string>;

      beforeAll(async () => {
        schema = await createPostgresSchema();
        db = new Pool({ connectionString: schema.url, max: 2 });
        redis = new Redis(redisUrl!);
        deployment = deploymentEnv(schema.url, redisUrl!, keyPrefix);
        [a, b] = await startDeployment(deployment, 2);
        await createUsers(a, ['carol', 'dave', 'erin', 'frank', 'oscar', 'peggy', 'trent']);
      });

      afterAll(async () => {
        await Promise.all([a, b].filter(Boolean).map((server) => server.stop()));
        await db?.end();
        redis?.disconnect();
        await schema?.drop();
        await deleteKeys(redisUrl!, keyPrefix);
      });

      it('both report Redis up', async () => {
        for (const server of [a, b]) {
          const reply = await health(server, '/health/ready');
          expect(reply.status).toBe(200);
          expect(reply.body.info).toMatchObject({
            database: { status: 'up' },
            redis: { status: 'up' },
          });
        }
      });

      it('hits the lockout at the same total when the failures are spread over both', async () => {
        const browser = new Browser();
        for (let attempt = 1; attempt <= PAIR_MAX_FAILURES; attempt++) {
          const reply = await browser.login(attempt % 2 === 1 ? a : b, 'carol', WRONG_PASSWORD);
          expect([attempt, reply.status, reply.body.code]).toEqual([
            attempt,
            401,
            'INVALID_CREDENTIALS',
          ]);
        }
        for (const server of [a, b]) {
          // Even the right password: the pair is locked on every instance.
          const refused = await browser.login(server, 'carol', USER_PASSWORD);
          expect(refused.status).toBe(429);
          expect(refused.body.code).toBe('TOO_MANY_ATTEMPTS');
          expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        // The counters are Redis's, under this deployment's prefix; the database holds none.
        expect(await scanKeys(redis, `${keyPrefix}throttle:pair:*carol*`)).toHaveLength(1);
        const rows = await db.query(`select key from login_throttle`);
        expect(rows.rowCount).toBe(0);
      });

      it('counts simultaneous failures on both exactly: the lock holds after the threshold', async () => {
        const attempts = Array.from({ length: PAIR_MAX_FAILURES }, (_, index) =>
          new Browser().login(index % 2 === 0 ? a : b, 'oscar', WRONG_PASSWORD),
        );
        const replies = await Promise.all(attempts);
        expect(replies.map((reply) => reply.status)).toEqual(Array(PAIR_MAX_FAILURES).fill(401));
        // Not one of the concurrent failures was lost: the pair is locked on both instances.
        expect((await new Browser().login(a, 'oscar', USER_PASSWORD)).status).toBe(429);
        expect((await new Browser().login(b, 'oscar', USER_PASSWORD)).status).toBe(429);
      });

      it('lets only the limit of 30 simultaneous wrong logins over both reach the hash', async () => {
        const replies = await Promise.all(
          Array.from({ length: 30 }, (_, index) =>
            new Browser().login(index % 2 === 0 ? a : b, 'trent', WRONG_PASSWORD),
          ),
        );
        const statuses = replies.map((reply) => reply.status);
        expect(statuses.filter((status) => status === 401)).toHaveLength(PAIR_MAX_FAILURES);
        expect(statuses.filter((status) => status === 429)).toHaveLength(30 - PAIR_MAX_FAILURES);
        // The audit trail: each checked attempt says bad_password, each refused one throttled.
        const rows = await db.query<{ reason: string; count: string }>(
          `select reason, count(*) as count from audit_events
            where username = 'trent' and type in ('authn_login_fail', 'authn_login_fail_max')
            group by reason order by reason`,
        );
        expect(rows.rows.map((row) => [row.reason, Number(row.count)])).toEqual([
          ['bad_password', PAIR_MAX_FAILURES],
          ['throttled', 30 - PAIR_MAX_FAILURES],
        ]);
      });

      it('counts the general rate limit once across both', async () => {
        const hitsKey = async (): Promise<number> => {
          const [key] = await scanKeys(redis, `${keyPrefix}*rate-limit*:hits`);
          return key ? Number(await redis.get(key)) : 0;
        };
        const before = await hitsKey();
        await new Browser().me(a);
        await new Browser().me(b);
        expect(await hitsKey()).toBe(before + 2);
      });

      it('rejects on B, within 1 s, a session logged out on A', async () => {
        const browser = await signedIn(a, 'dave');
        const stolen = browser.copy();
        // B has now seen the session live (and cached it).
        expect((await stolen.me(b)).status).toBe(200);
        expect((await browser.send(a, 'POST', '/auth/logout')).status).toBe(204);
        const elapsed = await eventually(
          async () => (await stolen.me(b)).status === 401,
          1000,
          'B rejects',
        );
        expect(elapsed).toBeLessThan(1000);
        const rejected = await stolen.me(b);
        expect(rejected.body.code).toBe('SESSION_REVOKED');
        expect((await stolen.me(a)).body.code).toBe('SESSION_REVOKED');
      });

      it('revokes on A a session whose refresh token is reused on B', async () => {
        const browser = await signedIn(a, 'erin');
        expect((await browser.me(a)).status).toBe(200);
        const previous = browser.copy();
        expect((await browser.send(a, 'POST', '/auth/refresh')).status).toBe(200);
        expect(browser.cookies.refresh_token).not.toBe(previous.cookies.refresh_token);
        expect((await browser.me(a)).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 20)); // past REFRESH_REUSE_GRACE=0
        const reused = await previous.send(b, 'POST', '/auth/refresh');
        expect([reused.status, reused.body.code]).toEqual([401, 'REFRESH_REUSED']);
        await eventually(async () => (await browser.me(a)).status === 401, 1000, 'A rejects');
        expect((await browser.me(a)).body.code).toBe('SESSION_REVOKED');
        expect((await browser.send(a, 'POST', '/auth/refresh')).status).toBe(401);
      });

      it('refuses on B the sessions of a user disabled on A', async () => {
        const frank = await signedIn(b, 'frank');
        expect((await frank.me(b)).status).toBe(200);
        const admin = await adminBrowser(a);
        const [user] = (
          (await admin.send(a, 'GET', '/users?limit=500')).body.items as {
            id: string;
            username: string;
          }[]
        ).filter((item) => item.username === 'frank');
        expect((await admin.send(a, 'PATCH', `/users/${user.id}`, { disabled: true })).status).toBe(
          200,
        );
        await eventually(async () => (await frank.me(b)).status === 401, 1000, 'B refuses frank');
        expect((await frank.me(b)).body.code).toBe('SESSION_REVOKED');
      });

      it('refuses on both the sessions of a user disabled from the command line', async () => {
        const peggy = await signedIn(a, 'peggy');
        expect((await peggy.me(a)).status).toBe(200);
        expect((await peggy.me(b)).status).toBe(200);
        const result = await runCliAsync(['users:disable', 'peggy'], isolatedEnv(deployment));
        expect([result.status, result.stderr]).toEqual([0, '']);
        for (const server of [a, b]) {
          await eventually(async () => (await peggy.me(server)).status === 401, 1000, 'refused');
          expect((await peggy.me(server)).body.code).toBe('SESSION_REVOKED');
        }
      });

      it('runs one review when both are asked at once', async () => {
        // Enough events that a run lasts well past the instant both claims are made.
        await db.query(
          `insert into audit_events (ts, type, level, outcome, username, reason, ip, user_agent, request_id, method, path)
           select to_char((now() - interval '1 hour' + n * interval '1 millisecond') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  'authn_login_fail', 'WARN', 'failure', 'user' || (n % 50), 'bad_password',
                  '10.1.' || (n % 200) || '.1', 'seed', 'seed-' || n, 'POST', '/auth/login'
           from generate_series(1, 1000) as n`,
        );
        const [adminA, adminB] = [await adminBrowser(a), await adminBrowser(b)];
        const replies = await Promise.all([
          adminA.send(a, 'POST', '/audit/reviews', {}),
          adminB.send(b, 'POST', '/audit/reviews', {}),
        ]);
        const statuses = replies.map((reply) => reply.status).sort();
        expect(statuses).toEqual([201, 409]);
        expect(replies.find((reply) => reply.status === 409)?.body.code).toBe('REVIEW_RUNNING');
        const runs = await db.query(`select id from review_runs`);
        expect(runs.rowCount).toBe(1);
      });

      it('never logged an error', () => {
        for (const server of [a, b]) expect(server.output()).not.toMatch(/"level":"error"/);
      });
    });

    describe('outages: a private Redis stopped and restarted, PostgreSQL cut and restored', () => {
      const keyPrefix = uniqueKeyPrefix();
      let schema: { url: string; drop: () => Promise<void> };
      let db: Pool;
      let privateRedis: PrivateRedis;
      let proxy: TcpProxy;
      let c: ServerProcess;
      let d: ServerProcess;
      let shared: Record<string, string>;

      beforeAll(async () => {
        schema = await createPostgresSchema();
        db = new Pool({ connectionString: schema.url, max: 2 });
        privateRedis = await startPrivateRedis();
        const target = new URL(postgresUrl!);
        proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
        shared = deploymentEnv(viaProxy(schema.url, proxy), privateRedis.url, keyPrefix);
        [c, d] = await startDeployment(shared, 2);
        await createUsers(c, ['grace', 'heidi', 'ivan', 'judy', 'mallory']);
      });

      afterAll(async () => {
        await Promise.all([c, d].filter(Boolean).map((server) => server.stop()));
        await proxy?.close();
        await privateRedis?.dispose();
        await db?.end();
        await schema?.drop();
      });

      it('keeps logins working and limits holding while Redis is down, and picks Redis up again', async () => {
        const grace = await signedIn(c, 'grace');
        expect((await grace.me(d)).status).toBe(200);

        await privateRedis.shutdown();
        for (const server of [c, d]) {
          await eventually(
            async () => {
              const reply = await health(server, '/health');
              return reply.status === 200 && reply.body.status === 'degraded';
            },
            5000,
            'redis: down in /health',
          );
          const live = await health(server, '/health');
          expect(live.body.info).toMatchObject({
            database: { status: 'up' },
            redis: { status: 'down' },
          });
          expect((await health(server, '/health/ready')).status).toBe(503);
        }

        // Logins go on, the guard too.
        const judy = await signedIn(d, 'judy');
        expect((await judy.me(c)).status).toBe(200);

        // Limits hold across instances: the counters fall back to the shared database.
        const attacker = new Browser();
        for (let attempt = 1; attempt <= PAIR_MAX_FAILURES; attempt++) {
          const reply = await attacker.login(attempt % 2 === 1 ? c : d, 'heidi', WRONG_PASSWORD);
          expect([attempt, reply.status]).toEqual([attempt, 401]);
        }
        expect((await attacker.login(c, 'heidi', USER_PASSWORD)).status).toBe(429);
        expect((await attacker.login(d, 'heidi', USER_PASSWORD)).status).toBe(429);
        const fallbackRows = await db.query(
          `select key from login_throttle where key like '%heidi%'`,
        );
        expect(fallbackRows.rowCount).toBeGreaterThan(0);

        // Revocations still reach every instance: without the feed, the guard reads the database.
        // D serves grace's session during the outage (a cache would now hold it as live)...
        expect((await grace.me(d)).status).toBe(200);
        const graceCopy = grace.copy();
        expect((await grace.send(c, 'POST', '/auth/logout')).status).toBe(204);
        // ...and still refuses it at once after the logout on C, with no feed to tell it.
        expect((await graceCopy.me(d)).body.code).toBe('SESSION_REVOKED');

        // One warning per outage, however many requests fell back.
        for (const server of [c, d]) {
          const warnings = server.output().match(/Login throttle: Redis unavailable/g) ?? [];
          expect(warnings).toHaveLength(1);
        }

        await privateRedis.start();
        for (const server of [c, d]) {
          await eventually(
            async () => (await health(server, '/health/ready')).status === 200,
            8000,
            'ready again',
          );
        }
        // The revoked session stays revoked after the reconnect (nothing resurrected from a cache).
        expect((await graceCopy.me(c)).body.code).toBe('SESSION_REVOKED');
        expect((await graceCopy.me(d)).body.code).toBe('SESSION_REVOKED');

        // Counters are in Redis again, and revocations fan out again.
        expect((await new Browser().login(d, 'ivan', WRONG_PASSWORD)).status).toBe(401);
        const fresh = new Redis(privateRedis.url);
        try {
          expect(await scanKeys(fresh, `${keyPrefix}throttle:pair:*ivan*`)).toHaveLength(1);
        } finally {
          fresh.disconnect();
        }
        const ivan = await signedIn(d, 'ivan');
        expect((await ivan.me(c)).status).toBe(200);
        const ivanCopy = ivan.copy();
        expect((await ivan.send(d, 'POST', '/auth/logout')).status).toBe(204);
        await eventually(
          async () => (await ivanCopy.me(c)).status === 401,
          1000,
          'fan-out after reconnect',
        );
      });

      it('starts while Redis is unreachable, serving logins in safe mode', async () => {
        const unreachable = `redis://127.0.0.1:${await freePort()}`;
        const lonely = await startServer(
          isolatedEnv({ ...shared, REDIS_URL: unreachable, DATABASE_URL: schema.url }),
        );
        try {
          const live = await health(lonely, '/health');
          expect([live.status, live.body.status]).toEqual([200, 'degraded']);
          expect((await health(lonely, '/health/ready')).status).toBe(503);
          const judy = await signedIn(lonely, 'judy');
          expect((await judy.me(lonely)).status).toBe(200);
        } finally {
          await lonely.stop();
        }
      });

      it('answers 503 quickly while PostgreSQL is cut, never a success, and recovers', async () => {
        const successes = async (): Promise<number> =>
          Number(
            (
              await db.query(
                `select count(*) as n from audit_events where username = 'mallory' and type like 'authn_login_success%'`,
              )
            ).rows[0].n,
          );
        expect(await successes()).toBe(0);

        proxy.cut();
        for (const server of [c, d]) {
          const login = await new Browser().login(server, 'mallory', USER_PASSWORD);
          expect([login.status, login.body.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
          // One wait of DB_TIMEOUT_MS at most, though the login and its audit both need the database.
          expect(login.elapsedMs).toBeLessThan(DB_TIMEOUT_MS + 1000);
          const live = await health(server, '/health');
          expect(live.status).toBe(503);
          expect(live.elapsedMs).toBeLessThan(DB_TIMEOUT_MS + 1000);
          expect((await health(server, '/health/ready')).status).toBe(503);
        }

        proxy.restore();
        for (const server of [c, d]) {
          await eventually(
            async () => (await health(server, '/health/ready')).status === 200,
            10_000,
            'database back',
          );
          expect((await new Browser().login(server, 'mallory', USER_PASSWORD)).status).toBe(200);
        }
        // Exactly the two logins that succeeded were recorded; none of the refused ones.
        expect(await successes()).toBe(2);
        for (const server of [c, d]) expect(server.child.exitCode).toBeNull();
      });
    });
  },
);
