import { Logger } from '@nestjs/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '../src/audit';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  HTTP_ADAPTERS,
  TestApp,
} from './support/app';

/**
 * API.md: each request to `POST /auth/login` yields exactly one audit event, whatever its
 * outcome. A mixed batch of 100 attempts must leave exactly 100 login events, one per request
 * id, each with the client IP the request came from.
 */
const BOB_PASSWORD = 'Quiet-Meadow-Compass-73';

interface Attempt {
  group: string;
  ip: string;
  send: (app: TestApp, requestId: string, ip: string) => Promise<{ status: number; code?: string }>;
}

const json =
  (body: object, headers: Record<string, string> = {}) =>
  (app: TestApp, requestId: string, ip: string) =>
    app.http
      .post('/auth/login')
      .set('X-Request-Id', requestId)
      .set('X-Forwarded-For', ip)
      .set(headers)
      .send(body)
      .then((response) => ({
        status: response.status,
        code: (response.body as { code?: string }).code,
      }));

const raw = (contentType: string, body: string) => (app: TestApp, requestId: string, ip: string) =>
  app.http
    .post('/auth/login')
    .set('X-Request-Id', requestId)
    .set('X-Forwarded-For', ip)
    .set('Content-Type', contentType)
    .send(body)
    .then((response) => ({
      status: response.status,
      code: (response.body as { code?: string }).code,
    }));

function batch(): Attempt[] {
  const attempts: Attempt[] = [];
  let ipCounter = 0;
  // A fresh client IP per attempt keeps per-IP limits out of the way, except where wanted.
  const freshIp = (): string =>
    `198.51.${100 + Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
  const add = (group: string, count: number, send: Attempt['send'], ip?: string): void => {
    for (let n = 0; n < count; n++) attempts.push({ group, ip: ip ?? freshIp(), send });
  };
  add('success', 20, json({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
  for (let n = 0; n < 15; n++)
    add('unknown user', 1, json({ username: `nobody-${n}`, password: 'Wrong-Password-1' }));
  add('wrong password', 5, json({ username: 'bob', password: 'Wrong-Password-2' }));
  // Bob's username is now locked for IPs that never logged into it, even with his password.
  add('account locked', 5, json({ username: 'bob', password: BOB_PASSWORD }));
  add('account locked', 5, json({ username: 'BOB', password: 'Wrong-Password-3' }));
  add('malformed JSON', 10, raw('application/json', '{"username":"bob","password":'));
  add('validation', 4, json({ username: 'bob' }));
  add('validation', 3, json({ username: '', password: 'x' }));
  add('validation', 3, json({ username: 'bob', password: 'x', extra: true }));
  add('too large', 10, json({ username: 'bob', password: 'x', pad: 'x'.repeat(17 * 1024) }));
  add('not JSON', 5, raw('text/plain', 'username=bob&password=x'));
  add(
    'cross-origin',
    5,
    json(
      { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
      { Origin: 'https://evil.example' },
    ),
  );
  // One IP, over the general rate limit of 5 a minute.
  add(
    'rate limit',
    10,
    json({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    '203.0.113.250',
  );
  return attempts;
}

describe.each(HTTP_ADAPTERS)(
  'audit coverage: every login attempt is exactly one event on %s',
  (adapter) => {
    let app: TestApp;

    beforeAll(async () => {
      app = await createTestApp(
        {
          TRUST_PROXY: 'loopback',
          RATE_LIMIT_PER_MINUTE: '5',
          LOGIN_USER_MAX_FAILURES: '5',
          REVIEW_ENABLED: 'false',
        },
        adapter,
      );
      await app.createUser('bob', BOB_PASSWORD);
    }, 30_000);

    afterAll(async () => {
      await app?.close();
    });

    it('100 mixed attempts (success, wrong password, unknown user, locked, 400, 413, 415, 403, 429) give 100 login events', async () => {
      const attempts = batch();
      expect(attempts).toHaveLength(100);
      const outcomes: {
        group: string;
        requestId: string;
        ip: string;
        status: number;
        code?: string;
      }[] = [];
      for (const [index, attempt] of attempts.entries()) {
        const requestId = `mix-${String(index).padStart(3, '0')}`;
        outcomes.push({
          group: attempt.group,
          requestId,
          ip: attempt.ip,
          ...(await attempt.send(app, requestId, attempt.ip)),
        });
      }

      const byGroup = (group: string): string[] =>
        outcomes
          .filter((outcome) => outcome.group === group)
          .map((outcome) => `${outcome.status} ${outcome.code ?? ''}`.trim());
      expect(new Set(byGroup('success'))).toEqual(new Set(['200']));
      expect(new Set(byGroup('unknown user'))).toEqual(new Set(['401 INVALID_CREDENTIALS']));
      expect(new Set(byGroup('wrong password'))).toEqual(new Set(['401 INVALID_CREDENTIALS']));
      expect(new Set(byGroup('account locked'))).toEqual(new Set(['429 TOO_MANY_ATTEMPTS']));
      expect(new Set(byGroup('malformed JSON'))).toEqual(new Set(['400 MALFORMED_JSON']));
      expect(new Set(byGroup('validation'))).toEqual(new Set(['400 VALIDATION_FAILED']));
      expect(new Set(byGroup('too large'))).toEqual(new Set(['413 PAYLOAD_TOO_LARGE']));
      expect(new Set(byGroup('not JSON'))).toEqual(new Set(['415 UNSUPPORTED_MEDIA_TYPE']));
      expect(new Set(byGroup('cross-origin'))).toEqual(new Set(['403 CSRF_ORIGIN']));
      expect(byGroup('rate limit')).toEqual([
        ...Array(5).fill('200'),
        ...Array(5).fill('429 RATE_LIMITED'),
      ]);

      const rows = await app.db
        .selectFrom('audit_events')
        .selectAll()
        .where('path', '=', '/auth/login')
        .orderBy('id')
        .execute();
      expect(rows).toHaveLength(100);
      expect(rows.map((row) => row.request_id).sort()).toEqual(
        outcomes.map((outcome) => outcome.requestId).sort(),
      );
      const eventOf = new Map(rows.map((row) => [row.request_id, row]));
      for (const outcome of outcomes) {
        const event = eventOf.get(outcome.requestId);
        expect({ requestId: outcome.requestId, ip: event?.ip, method: event?.method }).toEqual({
          requestId: outcome.requestId,
          ip: outcome.ip,
          method: 'POST',
        });
      }

      const typesOf = (group: string): Set<string> =>
        new Set(
          outcomes
            .filter((outcome) => outcome.group === group)
            .map((outcome) => eventOf.get(outcome.requestId)?.type ?? ''),
        );
      expect(typesOf('success')).toEqual(new Set(['authn_login_success']));
      expect(typesOf('unknown user')).toEqual(new Set(['authn_login_fail']));
      // The failure that reaches LOGIN_USER_MAX_FAILURES is the one that locks: authn_login_fail_max.
      expect(
        outcomes
          .filter((outcome) => outcome.group === 'wrong password')
          .map((outcome) => eventOf.get(outcome.requestId)?.type),
      ).toEqual([...Array(4).fill('authn_login_fail'), 'authn_login_fail_max']);
      for (const group of ['malformed JSON', 'validation', 'too large', 'not JSON']) {
        expect(typesOf(group)).toEqual(new Set(['input_validation_fail']));
      }
      expect(typesOf('cross-origin')).toEqual(new Set(['malicious_csrf']));
      const limited = outcomes.filter((outcome) => outcome.code === 'RATE_LIMITED');
      expect(new Set(limited.map((outcome) => eventOf.get(outcome.requestId)?.type))).toEqual(
        new Set(['excess_rate_limit_exceeded']),
      );
      for (const outcome of outcomes.filter((item) => item.group === 'account locked')) {
        expect(eventOf.get(outcome.requestId)).toMatchObject({
          outcome: 'failure',
          reason: 'locked',
        });
      }
      // Refused bodies may hold a password in the username field: no username is recorded.
      for (const group of ['malformed JSON', 'validation', 'too large', 'not JSON']) {
        for (const outcome of outcomes.filter((item) => item.group === group)) {
          expect(eventOf.get(outcome.requestId)?.username).toBeNull();
        }
      }
    }, 60_000);
  },
);

describe.each(HTTP_ADAPTERS)('GET /audit/events over real HTTP on %s', (adapter) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ REVIEW_ENABLED: 'false' }, adapter);
    await app.createUser('erin', 'Amber-Falcon-Window-64');
  }, 30_000);

  afterAll(async () => {
    await app?.close();
  });

  it('answers admins with the newest events first, cursor-paged', async () => {
    const admin = await app.login(ADMIN_USERNAME, ADMIN_PASSWORD);
    expect(admin.status).toBe(200);
    for (let n = 0; n < 3; n++)
      expect((await app.login('erin', `Wrong-Password-${n}`)).status).toBe(401);

    const first = await app.http
      .get('/audit/events?limit=2&type=authn_login_fail')
      .set('Cookie', admin.cookies)
      .expect(200);
    expect(first.headers['cache-control']).toBe('no-store');
    const page = first.body as { items: AuditEvent[]; nextCursor: string | null };
    expect(page.items.map((event) => event.username)).toEqual(['erin', 'erin']);
    expect(page.items[0].id).toBeGreaterThan(page.items[1].id);
    expect(page.nextCursor).toEqual(expect.any(String));

    const rest = await app.http
      .get(`/audit/events?limit=2&type=authn_login_fail&cursor=${page.nextCursor}`)
      .set('Cookie', admin.cookies)
      .expect(200);
    expect(rest.body).toMatchObject({
      items: [{ username: 'erin', reason: 'bad_password' }],
      nextCursor: null,
    });

    const byUser = await app.http
      .get('/audit/events?username=%20ERIN%20&outcome=failure')
      .set('Cookie', admin.cookies)
      .expect(200);
    expect((byUser.body as { items: unknown[] }).items).toHaveLength(3);

    const invalid = await app.http
      .get('/audit/events?limit=501')
      .set('Cookie', admin.cookies)
      .expect(400);
    expect(invalid.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
  });

  it('refuses a non-admin with 403 FORBIDDEN, recorded as authz_fail, and a stranger with 401', async () => {
    const user = await app.login('erin', 'Amber-Falcon-Window-64');
    expect(user.status).toBe(200);
    const refused = await app.http
      .get('/audit/events')
      .set('Cookie', user.cookies)
      .set('X-Request-Id', 'authz-probe-1');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN' });
    const [event] = await app.db
      .selectFrom('audit_events')
      .selectAll()
      .where('request_id', '=', 'authz-probe-1')
      .execute();
    expect(event).toMatchObject({
      type: 'authz_fail',
      outcome: 'failure',
      username: 'erin',
      path: '/audit/events',
    });

    const anonymous = await app.http.get('/audit/events');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'TOKEN_MISSING' });
  });
});

describe.each(HTTP_ADAPTERS)('a failing audit file sink on %s', (adapter) => {
  let app: TestApp;
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    errors = jest.spyOn(Logger.prototype, 'error');
    const blocker = join(mkdtempSync(join(tmpdir(), 'audit-blocked-')), 'a-file');
    writeFileSync(blocker, '');
    // A folder that can never be created (a file is in the way), as root or not.
    app = await createTestApp(
      { AUDIT_LOG_DIR: join(blocker, 'audit'), REVIEW_ENABLED: 'false' },
      adapter,
    );
  }, 30_000);

  afterAll(async () => {
    errors.mockRestore();
    await app?.close();
  });

  it('loses no event: logins answer, rows commit, the failure is logged once, /health is degraded', async () => {
    for (let n = 0; n < 3; n++) {
      expect((await app.login(ADMIN_USERNAME, ADMIN_PASSWORD)).status).toBe(200);
      expect((await app.login(ADMIN_USERNAME, `Wrong-Password-${n}`)).status).toBe(401);
    }
    const logins = await app.db
      .selectFrom('audit_events')
      .select('type')
      .where('path', '=', '/auth/login')
      .execute();
    expect(logins).toHaveLength(6);

    const sinkErrors = errors.mock.calls.filter((call) =>
      String(call[0]).includes('Audit file sink failed'),
    );
    expect(sinkErrors).toHaveLength(1);

    const health = await app.http.get('/health').expect(200);
    expect(health.body).toMatchObject({
      status: 'degraded',
      info: { database: { status: 'up' }, auditFile: { status: 'down' } },
    });
  });
});
