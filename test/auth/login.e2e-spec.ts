import {
  ADMIN_PASSWORD,
  createTestApp,
  HTTP_ADAPTERS,
  LENIENT_LOGIN_THROTTLE,
  parseSetCookies,
  TestApp,
} from '../support/app';

const USER_PASSWORD = 'correct horse battery staple 42';

/** Headers that may differ between two otherwise identical answers (API.md login rules). */
const VARYING_HEADERS = new Set(['date', 'x-request-id']);
function comparableHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name]) => !VARYING_HEADERS.has(name) && !/ratelimit/i.test(name),
    ),
  );
}

describe.each(HTTP_ADAPTERS)('POST /auth/login (e2e) on %s', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    // Generous lockout thresholds: this suite is about login answers, not the throttle rules.
    t = await createTestApp(LENIENT_LOGIN_THROTTLE, adapter);
    await t.createUser('alice', USER_PASSWORD);
    const disabled = await t.createUser('dora', USER_PASSWORD);
    await t.app
      .get((await import('../../src/users')).UsersService)
      .update(disabled.id, { disabled: true });
  });
  afterAll(async () => {
    await t.close();
  });

  async function eventsOf(
    requestId: string,
  ): Promise<{ type: string; reason: string | null; username: string | null; outcome: string }[]> {
    return t.db
      .selectFrom('audit_events')
      .select(['type', 'reason', 'username', 'outcome'])
      .where('request_id', '=', requestId)
      .execute();
  }

  it('answers 200 with the user and sets the three cookies with the exact insecure-mode flags', async () => {
    const login = await t.login('alice', USER_PASSWORD);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      user: { id: expect.any(String), username: 'alice', roles: ['user'] },
    });
    expect(login.setCookie).toHaveLength(3);
    const byName = Object.fromEntries(
      login.setCookie.map((header) => [header.split('=')[0], header]),
    );
    expect(byName.access_token).toMatch(
      /^access_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=900; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(byName.refresh_token).toMatch(
      /^refresh_token=[\w-]{36}\.\d+\.[\w-]{43}; Max-Age=604800; Path=\/auth; HttpOnly; SameSite=Strict$/,
    );
    expect(byName.csrf_token).toMatch(
      /^csrf_token=[\w-]{43}; Max-Age=604800; Path=\/; SameSite=Lax$/,
    );
    for (const header of login.setCookie) {
      expect(header).not.toMatch(/Domain=|Secure/i);
    }
    expect(login.response.headers['cache-control']).toBe('no-store');
    expect(login.response.headers['x-content-type-options']).toBe('nosniff');
    expect(login.response.headers['x-powered-by']).toBeUndefined();
    expect(login.response.headers['strict-transport-security']).toBeUndefined();
  });

  it('records exactly one authn_login_success event, committed before the answer', async () => {
    const response = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'login-success-1')
      .send({ username: 'ALICE ', password: USER_PASSWORD });
    expect(response.status).toBe(200);
    expect(await eventsOf('login-success-1')).toEqual([
      { type: 'authn_login_success', reason: null, username: 'alice', outcome: 'success' },
    ]);
  });

  it('always creates a new session, even when the client presents one', async () => {
    const first = await t.login('alice', USER_PASSWORD);
    const second = await t.http
      .post('/auth/login')
      .set('Cookie', first.cookies)
      .send({ username: 'alice', password: USER_PASSWORD });
    expect(second.status).toBe(200);
    const { jar } = parseSetCookies(second.headers['set-cookie']);
    expect(jar.refresh_token).not.toBe(first.jar.refresh_token);
    expect(jar.csrf_token).not.toBe(first.jar.csrf_token);
  });

  it('gives unknown user, wrong password and disabled user byte-identical answers', async () => {
    const unknown = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'enum-unknown')
      .send({ username: 'nobody', password: USER_PASSWORD });
    const wrong = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'enum-wrong')
      .send({ username: 'alice', password: 'wrong password!!' });
    const disabled = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'enum-disabled')
      .send({ username: 'dora', password: USER_PASSWORD });
    for (const response of [unknown, wrong, disabled]) {
      expect(response.status).toBe(401);
      expect(response.text).toBe(
        '{"statusCode":401,"code":"INVALID_CREDENTIALS","message":"Invalid credentials"}',
      );
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(comparableHeaders(wrong.headers)).toEqual(comparableHeaders(unknown.headers));
    expect(comparableHeaders(disabled.headers)).toEqual(comparableHeaders(unknown.headers));
    expect(await eventsOf('enum-unknown')).toEqual([
      { type: 'authn_login_fail', reason: 'unknown_user', username: 'nobody', outcome: 'failure' },
    ]);
    expect(await eventsOf('enum-wrong')).toEqual([
      { type: 'authn_login_fail', reason: 'bad_password', username: 'alice', outcome: 'failure' },
    ]);
    expect(await eventsOf('enum-disabled')).toEqual([
      { type: 'authn_login_fail', reason: 'disabled', username: 'dora', outcome: 'failure' },
    ]);
  });

  it('compares the password exactly: no trimming, no case folding', async () => {
    for (const variant of [` ${USER_PASSWORD}`, `${USER_PASSWORD} `, USER_PASSWORD.toUpperCase()]) {
      const response = await t.http
        .post('/auth/login')
        .send({ username: 'alice', password: variant });
      expect(response.status).toBe(401);
    }
  });

  it.each([
    ['missing password', { username: 'alice' }],
    ['empty username', { username: '', password: 'x' }],
    ['username of 129 code points', { username: 'a'.repeat(129), password: 'x' }],
    ['password of 1025 code points', { username: 'alice', password: '😀'.repeat(1025) }],
    ['non-string password', { username: 'alice', password: 12345 }],
    ['an extra property', { username: 'alice', password: USER_PASSWORD, remember: true }],
  ])(
    'answers 400 VALIDATION_FAILED for %s, and audits it without a username',
    async (_case, body) => {
      const requestId = `validation-${Math.random().toString(36).slice(2)}`;
      const response = await t.http.post('/auth/login').set('X-Request-Id', requestId).send(body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
      });
      expect(Array.isArray(response.body.errors)).toBe(true);
      expect(JSON.stringify(response.body)).not.toContain(USER_PASSWORD);
      expect(await eventsOf(requestId)).toEqual([
        {
          type: 'input_validation_fail',
          reason: 'invalid_input',
          username: null,
          outcome: 'failure',
        },
      ]);
    },
  );

  it('accepts 128-code-point usernames and 1024-code-point passwords made of astral characters', async () => {
    const response = await t.http
      .post('/auth/login')
      .send({ username: '😀'.repeat(128), password: '😀'.repeat(1024) });
    expect(response.status).toBe(401);
  });

  it('answers 415 for a non-JSON body and 400 MALFORMED_JSON for broken JSON, each audited once', async () => {
    const text = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'login-415')
      .set('Content-Type', 'text/plain')
      .send('username=alice');
    expect(text.status).toBe(415);
    expect(text.body).toEqual({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: expect.any(String),
    });
    const form = await t.http
      .post('/auth/login')
      .type('form')
      .send({ username: 'alice', password: USER_PASSWORD });
    expect(form.status).toBe(415);
    const broken = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'login-400-json')
      .set('Content-Type', 'application/json')
      .send('{"username": "alice",');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({
      statusCode: 400,
      code: 'MALFORMED_JSON',
      message: 'Malformed JSON',
    });
    expect(JSON.stringify(broken.body)).not.toMatch(/SyntaxError|at |node_modules/);
    expect(await eventsOf('login-415')).toEqual([
      {
        type: 'input_validation_fail',
        reason: 'invalid_input',
        username: null,
        outcome: 'failure',
      },
    ]);
    expect(await eventsOf('login-400-json')).toEqual([
      {
        type: 'input_validation_fail',
        reason: 'invalid_input',
        username: null,
        outcome: 'failure',
      },
    ]);
  });

  it('answers 413 PAYLOAD_TOO_LARGE over 16 KiB, audited once', async () => {
    const response = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'login-413')
      .send({ username: 'alice', password: 'p'.repeat(17 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Payload too large',
    });
    expect(await eventsOf('login-413')).toEqual([
      {
        type: 'input_validation_fail',
        reason: 'invalid_input',
        username: null,
        outcome: 'failure',
      },
    ]);
  });

  it.each([
    ['__proto__ at the top', '{"username":"alice","password":"x","__proto__":{"admin":true}}'],
    [
      'constructor at the top',
      '{"username":"alice","password":"x","constructor":{"prototype":{"admin":true}}}',
    ],
    ['__proto__ nested', '{"username":"alice","password":"x","meta":{"__proto__":{"admin":true}}}'],
  ])('rejects prototype-pollution keys (%s) with 400', async (_case, raw) => {
    const response = await t.http
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(raw);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses a cross-origin login with 403 CSRF_ORIGIN, audited once as malicious_csrf', async () => {
    const foreign = await t.http
      .post('/auth/login')
      .set('X-Request-Id', 'login-csrf-origin')
      .set('Origin', 'https://evil.example')
      .send({ username: 'alice', password: USER_PASSWORD });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({
      statusCode: 403,
      code: 'CSRF_ORIGIN',
      message: expect.any(String),
    });
    expect(foreign.headers['set-cookie']).toBeUndefined();
    expect(await eventsOf('login-csrf-origin')).toEqual([
      { type: 'malicious_csrf', reason: null, username: null, outcome: 'failure' },
    ]);

    const crossSite = await t.http
      .post('/auth/login')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ username: 'alice', password: USER_PASSWORD });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.code).toBe('CSRF_ORIGIN');

    const own = await t.http
      .post('/auth/login')
      .set('Origin', t.origin)
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ username: 'alice', password: USER_PASSWORD });
    expect(own.status).toBe(200);
  });

  it('lets the bootstrap admin in', async () => {
    const login = await t.login('admin', ADMIN_PASSWORD);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      user: { id: expect.any(String), username: 'admin', roles: ['admin'] },
    });
  });
});

describe.each(HTTP_ADAPTERS)('POST /auth/login with secure cookies (e2e) on %s', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(
      { COOKIE_SECURE: 'true', JWT_ACCESS_TTL: '5m', REFRESH_TTL: '1d' },
      adapter,
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('sets prefixed, Secure cookies with the exact flags, and HSTS', async () => {
    const login = await t.login('admin', ADMIN_PASSWORD);
    expect(login.status).toBe(200);
    const byName = Object.fromEntries(
      login.setCookie.map((header) => [header.split('=')[0], header]),
    );
    expect(Object.keys(byName).sort()).toEqual([
      '__Host-access_token',
      '__Host-csrf_token',
      '__Secure-refresh_token',
    ]);
    expect(byName['__Host-access_token']).toMatch(
      /^__Host-access_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(byName['__Secure-refresh_token']).toMatch(
      /^__Secure-refresh_token=[\w-]{36}\.\d+\.[\w-]{43}; Max-Age=86400; Path=\/auth; HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(byName['__Host-csrf_token']).toMatch(
      /^__Host-csrf_token=[\w-]{43}; Max-Age=86400; Path=\/; Secure; SameSite=Lax$/,
    );
    expect(login.response.headers['strict-transport-security']).toBe(
      'max-age=31536000; includeSubDomains',
    );
  });

  it('reads the prefixed cookie, ignores the unprefixed one, and clears cookies with the same flags', async () => {
    const login = await t.login('admin', ADMIN_PASSWORD);
    const me = await t.http.get('/auth/me').set('Cookie', login.cookies);
    expect(me.status).toBe(200);
    const unprefixed = await t.http
      .get('/auth/me')
      .set('Cookie', `access_token=${login.jar['__Host-access_token']}`);
    expect(unprefixed.status).toBe(401);
    expect(unprefixed.body.code).toBe('TOKEN_MISSING');

    const logout = await t.http
      .post('/auth/logout')
      .set('Cookie', login.cookies)
      .set('X-CSRF-Token', login.csrf);
    expect(logout.status).toBe(204);
    expect((logout.headers['set-cookie'] as unknown as string[]).sort()).toEqual([
      '__Host-access_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      '__Host-csrf_token=; Max-Age=0; Path=/; Secure; SameSite=Lax',
      '__Secure-refresh_token=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict',
    ]);
  });
});
