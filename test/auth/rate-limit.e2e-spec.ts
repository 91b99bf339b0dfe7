import { randomUUID } from 'node:crypto';
import { createTestApp, HTTP_ADAPTERS, TestApp } from '../support/app';

const PASSWORD = 'amber-lantern-quarry-58';

describe.each(HTTP_ADAPTERS)(
  'general rate limit over HTTP (RATE_LIMIT_PER_MINUTE=5) on %s',
  (adapter) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ TRUST_PROXY: 'loopback', RATE_LIMIT_PER_MINUTE: '5' }, adapter);
      await t.createUser('rory', PASSWORD);
    });

    afterAll(async () => {
      await t.close();
    });

    it('limits every route per client IP, before authentication, with 429 RATE_LIMITED and Retry-After', async () => {
      const ip = '203.0.113.10';
      for (let index = 0; index < 5; index++) {
        const response = await t.http.get('/auth/me').set('X-Forwarded-For', ip);
        expect(response.status).toBe(401);
        expect(response.headers['x-ratelimit-limit']).toBe('5');
      }
      const refused = await t.http.get('/auth/me').set('X-Forwarded-For', ip);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        statusCode: 429,
        code: 'RATE_LIMITED',
        message: 'Too many requests',
      });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);

      // The budget is per IP across routes: the login route is refused too.
      const requestId = randomUUID();
      const login = await t.http
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .set('X-Request-Id', requestId)
        .send({ username: 'rory', password: PASSWORD });
      expect(login.status).toBe(429);
      expect(login.body).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(login.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(login.headers['set-cookie']).toBeUndefined();

      // Exactly one audit event for that login request: the rate-limit refusal, no username.
      const events = await t.db
        .selectFrom('audit_events')
        .select(['type', 'outcome', 'username', 'ip', 'path'])
        .where('request_id', '=', requestId)
        .execute();
      expect(events).toEqual([
        {
          type: 'excess_rate_limit_exceeded',
          outcome: 'failure',
          username: null,
          ip,
          path: '/auth/login',
        },
      ]);
    });

    it('counts each client IP on its own', async () => {
      const login = await t.http
        .post('/auth/login')
        .set('X-Forwarded-For', '203.0.113.11')
        .send({ username: 'rory', password: PASSWORD });
      expect(login.status).toBe(200);
    });

    it('never limits /health and /health/ready', async () => {
      const ip = '203.0.113.12';
      for (let index = 0; index < 8; index++) {
        expect((await t.http.get('/health').set('X-Forwarded-For', ip)).status).toBe(200);
        expect((await t.http.get('/health/ready').set('X-Forwarded-For', ip)).status).toBe(200);
      }
      // Those did not use up the IP's budget.
      expect((await t.http.get('/auth/me').set('X-Forwarded-For', ip)).status).toBe(401);
    });

    it('does not count a rate-limited login as a failed credential check', async () => {
      const ip = '203.0.113.13';
      for (let index = 0; index < 5; index++)
        await t.http.get('/auth/me').set('X-Forwarded-For', ip);
      for (let index = 0; index < 6; index++) {
        const refused = await t.http
          .post('/auth/login')
          .set('X-Forwarded-For', ip)
          .send({ username: 'rory', password: 'wrong-password-here' });
        expect(refused.status).toBe(429);
      }
      const counters = await t.db
        .selectFrom('login_throttle')
        .select('key')
        .where('key', 'like', '%203.0.113.13%')
        .execute();
      expect(counters).toEqual([]);
    });

    it.each(['/docs-json', '/docs', '/nope', '/auth/nope'])(
      'limits %s too (issue 10 item 18): 429 RATE_LIMITED with Retry-After over the limit',
      async (path) => {
        const ip = `203.0.113.${20 + ['/docs-json', '/docs', '/nope', '/auth/nope'].indexOf(path)}`;
        for (let index = 0; index < 5; index++) {
          const response = await t.http.get(path).set('X-Forwarded-For', ip);
          expect(response.status).not.toBe(429);
          expect(response.headers['x-ratelimit-limit']).toBe('5');
        }
        const refused = await t.http.get(path).set('X-Forwarded-For', ip);
        expect(refused.status).toBe(429);
        expect(refused.body).toEqual({
          statusCode: 429,
          code: 'RATE_LIMITED',
          message: 'Too many requests',
        });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(refused.headers['x-content-type-options']).toBe('nosniff');
        // One budget per IP: a routed path is refused too, and each request counted once.
        expect((await t.http.get('/auth/me').set('X-Forwarded-For', ip)).status).toBe(429);
      },
    );

    it('counts a routed request once, not once in the middleware and again in the guard', async () => {
      const ip = '203.0.113.30';
      const remaining: string[] = [];
      for (let index = 0; index < 5; index++) {
        const response = await t.http.get('/auth/me').set('X-Forwarded-For', ip);
        remaining.push(String(response.headers['x-ratelimit-remaining']));
      }
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    });
  },
);
