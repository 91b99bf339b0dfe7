import { randomUUID } from 'node:crypto';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  HTTP_ADAPTERS,
  parseSetCookies,
  TestApp,
} from '../support/app';

const PASSWORD = 'copper-meadow-lantern-62';
const WRONG = 'not-the-password-at-all';

describe.each(HTTP_ADAPTERS)(
  'the canonical client IP under TRUST_PROXY (issue 10 item 9) on %s',
  (adapter) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ TRUST_PROXY: 'loopback' }, adapter);
      await t.createUser('mara', PASSWORD);
      await t.createUser('nils', PASSWORD);
    });

    afterAll(async () => {
      await t.close();
    });

    const login = (forwardedFor: string, username = 'mara', password = PASSWORD, id?: string) =>
      t.http
        .post('/auth/login')
        .set('X-Forwarded-For', forwardedFor)
        .set('X-Request-Id', id ?? randomUUID())
        .send({ username, password });

    const eventsOf = (requestId: string) =>
      t.db
        .selectFrom('audit_events')
        .select(['type', 'ip', 'reason'])
        .where('request_id', '=', requestId)
        .execute();

    it('shares one lock between every spelling of 10.2.2.2', async () => {
      for (let index = 0; index < 5; index++) {
        expect((await login('10.2.2.2', 'mara', WRONG)).status).toBe(401);
      }
      for (const spelling of [
        '10.2.2.2',
        '::ffff:10.2.2.2',
        '::FFFF:10.2.2.2',
        '::ffff:a02:202',
        '0:0:0:0:0:ffff:10.2.2.2',
        '0000:0000:0000:0000:0000:ffff:0a02:0202',
        '10.2.2.2:1234',
        '[::ffff:10.2.2.2]:443',
      ]) {
        const requestId = randomUUID();
        const response = await login(spelling, 'mara', PASSWORD, requestId);
        expect([spelling, response.status, response.body.code]).toEqual([
          spelling,
          429,
          'TOO_MANY_ATTEMPTS',
        ]);
        expect(await eventsOf(requestId)).toEqual([
          expect.objectContaining({ type: 'authn_login_fail', ip: '10.2.2.2' }),
        ]);
      }
      // The counter exists once, under the canonical spelling.
      const keys = await t.db
        .selectFrom('login_throttle')
        .select('key')
        .where('key', 'like', '%10.2.2.2%')
        .execute();
      expect(keys.map(({ key }) => key).every((key) => !key.includes('ffff'))).toBe(true);
      expect(keys.length).toBeGreaterThan(0);
    });

    it('writes IPv6 lower-case and compressed in events, sessions and filters', async () => {
      const requestId = randomUUID();
      const response = await login('[2001:DB8:0:0:0:0:0:1]:8443', 'nils', PASSWORD, requestId);
      expect(response.status).toBe(200);
      expect(await eventsOf(requestId)).toEqual([
        { type: 'authn_login_success', ip: '2001:db8::1', reason: null },
      ]);
      const { cookies } = parseSetCookies(response.headers['set-cookie']);
      const sessions = await t.http
        .get('/auth/sessions')
        .set('Cookie', cookies.join('; '))
        .set('X-Forwarded-For', '::ffff:10.9.9.9');
      expect(sessions.status).toBe(200);
      expect((sessions.body as { items: Array<{ ip: string }> }).items[0].ip).toBe('2001:db8::1');

      const admin = await t.login(ADMIN_USERNAME, ADMIN_PASSWORD);
      const filtered = await t.http
        .get('/audit/events')
        .query({ ip: '2001:DB8:0:0::1', type: 'authn_login_success' })
        .set('Cookie', admin.cookies.join('; '));
      expect(filtered.status).toBe(200);
      expect((filtered.body as { items: Array<{ requestId: string }> }).items).toEqual([
        expect.objectContaining({ requestId, ip: '2001:db8::1' }),
      ]);
    });

    it.each(['010.2.2.2', 'example.com', '999.1.1.1:80', '[10.2.2.2]:80', '10.2.2.2:99999'])(
      'answers 400 BAD_CLIENT_ADDRESS to X-Forwarded-For %p, audited once with the proxy address',
      async (forwarded) => {
        const requestId = randomUUID();
        const response = await t.http
          .post('/auth/login')
          .set('X-Forwarded-For', `${forwarded}, 127.0.0.5`)
          .set('X-Request-Id', requestId)
          .send({ username: 'nils', password: PASSWORD });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ statusCode: 400, code: 'BAD_CLIENT_ADDRESS' });
        expect(response.headers['set-cookie']).toBeUndefined();
        // 127.0.0.5 (trusted: loopback) forwarded the bad value: the refusal is its.
        expect(await eventsOf(requestId)).toEqual([
          { type: 'input_validation_fail', ip: '127.0.0.5', reason: 'invalid_input' },
        ]);
      },
    );

    it('refuses a bad forwarded address on any route, attributed to the socket peer when it is the proxy', async () => {
      const response = await t.http.get('/auth/me').set('X-Forwarded-For', 'example.com');
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('BAD_CLIENT_ADDRESS');
      const requestId = randomUUID();
      await t.http
        .post('/auth/login')
        .set('X-Forwarded-For', 'example.com')
        .set('X-Request-Id', requestId)
        .send({ username: 'nils', password: PASSWORD });
      expect(await eventsOf(requestId)).toEqual([
        { type: 'input_validation_fail', ip: '127.0.0.1', reason: 'invalid_input' },
      ]);
    });
  },
);
