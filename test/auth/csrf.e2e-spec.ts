import { ADMIN_PASSWORD, createTestApp, HTTP_ADAPTERS, LoginResult, TestApp } from '../support/app';

describe.each(HTTP_ADAPTERS)('CSRF protection (e2e) on %s', (adapter) => {
  let t: TestApp;
  let login: LoginResult;

  beforeAll(async () => {
    t = await createTestApp(
      { APP_ORIGINS: 'https://app.example.com,http://localhost:5173' },
      adapter,
    );
    login = await t.login('admin', ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  /** An authenticated unsafe request that changes nothing lasting: a fresh session's logout. */
  async function freshLogout(
    headers: Record<string, string>,
    options: { cookies?: string[] } = {},
  ) {
    const own = await t.login('admin', ADMIN_PASSWORD);
    const request = t.http.post('/auth/logout').set('Cookie', options.cookies ?? own.cookies);
    for (const [name, value] of Object.entries(headers))
      request.set(name, value.replace('{csrf}', own.csrf));
    return { response: await request, own };
  }

  async function eventsOf(requestId: string) {
    return t.db
      .selectFrom('audit_events')
      .select(['type', 'outcome', 'username', 'level'])
      .where('request_id', '=', requestId)
      .execute();
  }

  it('403 CSRF_TOKEN without the header, audited as malicious_csrf', async () => {
    const { response, own } = await freshLogout({ 'X-Request-Id': 'csrf-missing' });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      statusCode: 403,
      code: 'CSRF_TOKEN',
      message: expect.any(String),
    });
    expect(await eventsOf('csrf-missing')).toEqual([
      { type: 'malicious_csrf', outcome: 'failure', username: 'admin', level: 'CRITICAL' },
    ]);
    // The session survived the refused request.
    expect((await t.http.get('/auth/me').set('Cookie', own.cookies)).status).toBe(200);
  });

  it('403 CSRF_TOKEN with a wrong header, or a header that matches a forged cookie only', async () => {
    const wrong = await freshLogout({ 'X-CSRF-Token': 'A'.repeat(43) });
    expect(wrong.response.status).toBe(403);
    expect(wrong.response.body.code).toBe('CSRF_TOKEN');

    const own = await t.login('admin', ADMIN_PASSWORD);
    const forgedCookie = own.cookies.map((cookie) =>
      cookie.startsWith('csrf_token=') ? 'csrf_token=planted' : cookie,
    );
    const planted = await t.http
      .post('/auth/logout')
      .set('Cookie', forgedCookie)
      .set('X-CSRF-Token', 'planted');
    expect(planted.status).toBe(403);
    expect(planted.body.code).toBe('CSRF_TOKEN');

    // Another session's valid token does not fit this session.
    const other = await t.http
      .post('/auth/logout')
      .set(
        'Cookie',
        own.cookies.map((c) => (c.startsWith('csrf_token=') ? `csrf_token=${login.csrf}` : c)),
      )
      .set('X-CSRF-Token', login.csrf);
    expect(other.status).toBe(403);
  });

  it('403 CSRF_TOKEN when the header is right but the cookie is missing', async () => {
    const own = await t.login('admin', ADMIN_PASSWORD);
    const withoutCsrfCookie = own.cookies.filter((cookie) => !cookie.startsWith('csrf_token='));
    const response = await t.http
      .post('/auth/logout')
      .set('Cookie', withoutCsrfCookie)
      .set('X-CSRF-Token', own.csrf);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('CSRF_TOKEN');
  });

  it('checks authentication first: 401 before 403 without an access cookie', async () => {
    const response = await t.http.post('/auth/logout');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('TOKEN_MISSING');
  });

  it('403 CSRF_ORIGIN for a foreign Origin, even with a valid token', async () => {
    const { response } = await freshLogout({
      'X-CSRF-Token': '{csrf}',
      Origin: 'https://evil.example',
      'X-Request-Id': 'csrf-origin',
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      statusCode: 403,
      code: 'CSRF_ORIGIN',
      message: expect.any(String),
    });
    expect(await eventsOf('csrf-origin')).toEqual([
      { type: 'malicious_csrf', outcome: 'failure', username: null, level: 'CRITICAL' },
    ]);
  });

  it('403 CSRF_ORIGIN for Sec-Fetch-Site: cross-site and for the opaque "null" origin', async () => {
    const crossSite = await freshLogout({
      'X-CSRF-Token': '{csrf}',
      'Sec-Fetch-Site': 'cross-site',
    });
    expect(crossSite.response.status).toBe(403);
    expect(crossSite.response.body.code).toBe('CSRF_ORIGIN');
    const opaque = await freshLogout({ 'X-CSRF-Token': '{csrf}', Origin: 'null' });
    expect(opaque.response.body.code).toBe('CSRF_ORIGIN');
    const otherPort = await freshLogout({
      'X-CSRF-Token': '{csrf}',
      Origin: t.origin.replace(/:\d+$/, ':1'),
    });
    expect(otherPort.response.body.code).toBe('CSRF_ORIGIN');
  });

  it('lets through the own origin, APP_ORIGINS, same-origin fetches and requests without Origin', async () => {
    const passing: Record<string, string>[] = [
      { Origin: t.origin },
      { Origin: 'https://app.example.com' },
      { Origin: 'http://localhost:5173', 'Sec-Fetch-Site': 'same-site' },
      { Origin: 'https://app.example.com', 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-origin' },
      {},
    ];
    for (const headers of passing) {
      const { response } = await freshLogout({ 'X-CSRF-Token': '{csrf}', ...headers });
      expect({ headers, status: response.status }).toEqual({ headers, status: 204 });
    }
  });

  it('answers CORS preflights for APP_ORIGINS only, with credentials and the CSRF header', async () => {
    const listed = await t.http
      .options('/auth/logout')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-csrf-token');
    expect(listed.status).toBe(204);
    expect(listed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(listed.headers['access-control-allow-credentials']).toBe('true');
    expect(listed.headers['access-control-allow-headers']).toMatch(/X-CSRF-Token/i);
    const foreign = await t.http
      .options('/auth/logout')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('does not check safe methods', async () => {
    const response = await t.http
      .get('/auth/me')
      .set('Cookie', login.cookies)
      .set('Origin', 'https://evil.example')
      .set('Sec-Fetch-Site', 'cross-site');
    expect(response.status).toBe(200);
  });
});
