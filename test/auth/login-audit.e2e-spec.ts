import { PasswordHasher } from '../../src/users';
import { createTestApp, HTTP_ADAPTERS, TestApp } from '../support/app';

const PASSWORD = 'a perfectly fine passphrase 19';

async function eventsOf(t: TestApp, requestId: string) {
  return t.db
    .selectFrom('audit_events')
    .select(['type', 'reason', 'username', 'outcome'])
    .where('request_id', '=', requestId)
    .execute();
}

describe.each(HTTP_ADAPTERS)(
  'login audit: one event per attempt, refusals included (e2e) on %s',
  (adapter) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOGIN_PAIR_MAX_FAILURES: '3', LOGIN_PAIR_LOCK: '60s' }, adapter);
      await t.createUser('lena', PASSWORD);
    });
    afterAll(async () => {
      await t.close();
    });

    it('records the failure that locks as authn_login_fail_max, then refusals as authn_login_fail/throttled', async () => {
      const answers: { status: number; events: unknown[] }[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const requestId = `lock-${attempt}`;
        const response = await t.http
          .post('/auth/login')
          .set('X-Request-Id', requestId)
          .send({ username: 'lena', password: 'wrong password!' });
        answers.push({ status: response.status, events: await eventsOf(t, requestId) });
      }
      expect(answers).toEqual([
        {
          status: 401,
          events: [
            {
              type: 'authn_login_fail',
              reason: 'bad_password',
              username: 'lena',
              outcome: 'failure',
            },
          ],
        },
        {
          status: 401,
          events: [
            {
              type: 'authn_login_fail',
              reason: 'bad_password',
              username: 'lena',
              outcome: 'failure',
            },
          ],
        },
        {
          status: 401,
          events: [
            {
              type: 'authn_login_fail_max',
              reason: 'bad_password',
              username: 'lena',
              outcome: 'failure',
            },
          ],
        },
      ]);

      // The right password gets the same refusal while the lock lasts, before any hashing.
      const refused = await t.http
        .post('/auth/login')
        .set('X-Request-Id', 'lock-refused')
        .send({ username: 'lena', password: PASSWORD });
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        statusCode: 429,
        code: 'TOO_MANY_ATTEMPTS',
        message: expect.any(String),
      });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(await eventsOf(t, 'lock-refused')).toEqual([
        { type: 'authn_login_fail', reason: 'throttled', username: 'lena', outcome: 'failure' },
      ]);
    });

    it('counts wrong current passwords on POST /auth/password toward the same locks', async () => {
      await t.createUser('pia', PASSWORD);
      const pia = await t.login('pia', PASSWORD);
      const change = (currentPassword: string) =>
        t.http
          .post('/auth/password')
          .set('Cookie', pia.cookies)
          .set('X-CSRF-Token', pia.csrf)
          .send({ currentPassword, newPassword: 'a brand new passphrase 2026' });
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await change('not my password')).status).toBe(401);
      }
      const locked = await change(PASSWORD);
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe('TOO_MANY_ATTEMPTS');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(
        (await t.http.post('/auth/login').send({ username: 'pia', password: PASSWORD })).status,
      ).toBe(429);
    });

    it('records a login refused by a review block as ip_blocked, before any hashing', async () => {
      await t.db
        .insertInto('blocks')
        .values({
          id: 'block-ip4',
          kind: 'ip',
          subject: '127.0.0.1',
          reason: 'test',
          created_at: Date.now(),
          expires_at: Date.now() + 120_000,
          finding_id: null,
          lifted_at: null,
        })
        .execute();
      const hasher = t.app.get(PasswordHasher);
      const verify = jest.spyOn(hasher, 'verify');
      const verifyDummy = jest.spyOn(hasher, 'verifyDummy');
      const response = await t.http
        .post('/auth/login')
        .set('X-Request-Id', 'blocked-ip')
        .send({ username: 'someone', password: 'whatever at all' });
      expect(response.status).toBe(429);
      expect(response.body.code).toBe('TOO_MANY_ATTEMPTS');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(100);
      expect(verify).not.toHaveBeenCalled();
      expect(verifyDummy).not.toHaveBeenCalled();
      verify.mockRestore();
      verifyDummy.mockRestore();
      expect(await eventsOf(t, 'blocked-ip')).toEqual([
        { type: 'authn_login_fail', reason: 'ip_blocked', username: 'someone', outcome: 'failure' },
      ]);
      await t.db.deleteFrom('blocks').execute();
    });
  },
);

describe.each(HTTP_ADAPTERS)('login audit under the general rate limit (e2e) on %s', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: '2' }, adapter);
  });
  afterAll(async () => {
    await t.close();
  });

  it('records a rate-limited login once, as excess_rate_limit_exceeded', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      await t.http.post('/auth/login').send({ username: 'x', password: 'y' });
    }
    const limited = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'rate-limited')
      .send({ username: 'x', password: 'y' });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(await eventsOf(t, 'rate-limited')).toEqual([
      {
        type: 'excess_rate_limit_exceeded',
        reason: 'throttled',
        username: null,
        outcome: 'failure',
      },
    ]);
  });
});
