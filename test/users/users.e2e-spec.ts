import { ADMIN_PASSWORD, createTestApp, HTTP_ADAPTERS, LoginResult, TestApp } from '../support/app';

const PASSWORD = 'quite a long user passphrase 31';

describe.each(HTTP_ADAPTERS)('/users (e2e) on %s', (adapter) => {
  let t: TestApp;
  let admin: LoginResult;
  let user: LoginResult;

  const asAdmin = {
    get: (path: string) => t.http.get(path).set('Cookie', admin.cookies),
    post: (path: string, body?: object) =>
      t.http.post(path).set('Cookie', admin.cookies).set('X-CSRF-Token', admin.csrf).send(body),
    patch: (path: string, body: object) =>
      t.http.patch(path).set('Cookie', admin.cookies).set('X-CSRF-Token', admin.csrf).send(body),
  };

  beforeAll(async () => {
    t = await createTestApp({}, adapter);
    admin = await t.login('admin', ADMIN_PASSWORD);
    await t.createUser('ursula', PASSWORD);
    user = await t.login('ursula', PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  it('POST /users creates a user (201) with default role, audited as user_created', async () => {
    const response = await asAdmin
      .post('/users', { username: 'Victor', password: PASSWORD })
      .set('X-Request-Id', 'create-victor');
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: expect.any(String), username: 'Victor', roles: ['user'] });
    const events = await t.db
      .selectFrom('audit_events')
      .select(['type', 'username'])
      .where('request_id', '=', 'create-victor')
      .execute();
    expect(events).toEqual([{ type: 'user_created', username: 'victor' }]);
    expect((await t.login('victor', PASSWORD)).status).toBe(200);
  });

  it('POST /users answers 409 USERNAME_TAKEN for case and Unicode variants', async () => {
    for (const username of ['victor', 'VICTOR', 'Ｖｉｃｔｏｒ', ' victor ']) {
      const response = await asAdmin.post('/users', { username, password: PASSWORD });
      expect({ username, status: response.status, code: response.body.code }).toEqual({
        username,
        status: 409,
        code: 'USERNAME_TAKEN',
      });
    }
  });

  it('POST /users answers 400 PASSWORD_POLICY for short, common or username-equal passwords', async () => {
    for (const password of ['short', 'password1234', 'Wendy-The-Great']) {
      const response = await asAdmin.post('/users', { username: 'wendy-the-great', password });
      expect({ password, status: response.status, code: response.body.code }).toEqual({
        password,
        status: 400,
        code: 'PASSWORD_POLICY',
      });
    }
  });

  it('POST /users validates roles and unknown properties', async () => {
    expect(
      (await asAdmin.post('/users', { username: 'x1', password: PASSWORD, roles: ['root'] })).body
        .code,
    ).toBe('VALIDATION_FAILED');
    expect(
      (await asAdmin.post('/users', { username: 'x2', password: PASSWORD, admin: true })).body.code,
    ).toBe('VALIDATION_FAILED');
    const withRoles = await asAdmin.post('/users', {
      username: 'olga',
      password: PASSWORD,
      roles: ['admin', 'user'],
    });
    expect(withRoles.status).toBe(201);
    expect(withRoles.body.roles).toEqual(['admin', 'user']);
  });

  it('GET /users pages with limit and cursor', async () => {
    const first = await asAdmin.get('/users?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toEqual({
      id: expect.any(String),
      username: expect.any(String),
      roles: expect.any(Array),
      disabled: expect.any(Boolean),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(first.body)).not.toMatch(/argon2|password/i);
    expect(typeof first.body.nextCursor).toBe('string');
    type Page = { items: { username: string }[]; nextCursor: string | null };
    const usernames = (page: Page): string[] => page.items.map((item) => item.username);
    const seen = usernames(first.body as Page);
    let cursor = (first.body as Page).nextCursor;
    while (cursor) {
      const page = await asAdmin.get(`/users?limit=2&cursor=${cursor}`);
      expect(page.status).toBe(200);
      seen.push(...usernames(page.body as Page));
      cursor = (page.body as Page).nextCursor;
    }
    const all = (await asAdmin.get('/users')).body as Page;
    expect(all.nextCursor).toBeNull();
    expect(seen).toEqual(usernames(all));
  });

  it.each(['0', '501', '1.5', 'abc'])(
    'GET /users?limit=%s answers 400 VALIDATION_FAILED',
    async (limit) => {
      const response = await asAdmin.get(`/users?limit=${limit}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    },
  );

  it('PATCH /users/:id disables a user and revokes their sessions at once', async () => {
    const created = await asAdmin.post('/users', { username: 'dan', password: PASSWORD });
    const dan = await t.login('dan', PASSWORD);
    expect((await t.http.get('/auth/me').set('Cookie', dan.cookies)).status).toBe(200);

    const response = await asAdmin.patch(`/users/${created.body.id}`, { disabled: true });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: created.body.id, username: 'dan', disabled: true });

    const me = await t.http.get('/auth/me').set('Cookie', dan.cookies);
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('SESSION_REVOKED');
    const refresh = await t.http
      .post('/auth/refresh')
      .set('Cookie', dan.cookies)
      .set('X-CSRF-Token', dan.csrf);
    expect(refresh.body.code).toBe('REFRESH_INVALID');
    expect((await t.login('dan', PASSWORD)).status).toBe(401);

    const enabled = await asAdmin.patch(`/users/${created.body.id}`, {
      disabled: false,
      roles: ['admin'],
    });
    expect(enabled.body).toMatchObject({ disabled: false, roles: ['admin'] });
    expect((await t.login('dan', PASSWORD)).body).toMatchObject({ user: { roles: ['admin'] } });
  });

  it('PATCH /users/:id removing a role ends the user’s sessions at once; adding one does not', async () => {
    const created = await asAdmin.post('/users', {
      username: 'rita',
      password: PASSWORD,
      roles: ['admin', 'user'],
    });
    const rita = await t.login('rita', PASSWORD);
    expect((await t.http.get('/users').set('Cookie', rita.cookies)).status).toBe(200);
    await asAdmin.patch(`/users/${created.body.id}`, { roles: ['admin', 'user'] });
    expect((await t.http.get('/users').set('Cookie', rita.cookies)).status).toBe(200);

    const demoted = await asAdmin.patch(`/users/${created.body.id}`, { roles: ['user'] });
    expect(demoted.body.roles).toEqual(['user']);
    const stale = await t.http.get('/users').set('Cookie', rita.cookies);
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe('SESSION_REVOKED');
    const again = await t.login('rita', PASSWORD);
    expect((await t.http.get('/users').set('Cookie', again.cookies)).status).toBe(403);
  });

  it('PATCH and unlock answer 404 for an unknown user', async () => {
    expect(
      (await asAdmin.patch('/users/00000000-0000-4000-8000-000000000000', { disabled: true }))
        .status,
    ).toBe(404);
    const unlock = await asAdmin.post('/users/00000000-0000-4000-8000-000000000000/unlock');
    expect(unlock.status).toBe(404);
    expect(unlock.body.code).toBe('NOT_FOUND');
  });

  it('POST /users/:id/unlock answers 204 and lifts account locks', async () => {
    const created = await asAdmin.post('/users', { username: 'lucy', password: PASSWORD });
    await t.db
      .insertInto('blocks')
      .values({
        id: 'lock-lucy',
        kind: 'account',
        subject: 'lucy',
        reason: 'test',
        created_at: Date.now(),
        expires_at: Date.now() + 3_600_000,
        finding_id: null,
        lifted_at: null,
      })
      .execute();
    const locked = await t.login('lucy', PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(locked.response.headers['retry-after'])).toBeGreaterThan(3500);

    const unlock = await asAdmin
      .post(`/users/${created.body.id}/unlock`)
      .set('X-Request-Id', 'unlock-lucy');
    expect(unlock.status).toBe(204);
    const events = await t.db
      .selectFrom('audit_events')
      .select('type')
      .where('request_id', '=', 'unlock-lucy')
      .execute();
    expect(events.map((event) => event.type)).toContain('user_unlocked');
    expect((await t.login('lucy', PASSWORD)).status).toBe(200);
  });

  it('answers 403 FORBIDDEN to a non-admin on every admin route, audited as authz_fail', async () => {
    const routes: [string, string, object | undefined][] = [
      ['get', '/users', undefined],
      ['post', '/users', { username: 'eve', password: PASSWORD }],
      ['patch', '/users/00000000-0000-4000-8000-000000000000', { disabled: true }],
      ['post', '/users/00000000-0000-4000-8000-000000000000/unlock', undefined],
    ];
    for (const [method, path, body] of routes) {
      const requestId = `authz-${method}-${path.length}`;
      const send = (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[
        method
      ];
      const request = send(path)
        .set('Cookie', user.cookies)
        .set('X-CSRF-Token', user.csrf)
        .set('X-Request-Id', requestId);
      const response = body ? await request.send(body) : await request;
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 403,
        body: { statusCode: 403, code: 'FORBIDDEN', message: 'Forbidden' },
      });
      const events = await t.db
        .selectFrom('audit_events')
        .select(['type', 'username'])
        .where('request_id', '=', requestId)
        .execute();
      expect(events).toEqual([{ type: 'authz_fail', username: 'ursula' }]);
    }
    expect((await t.http.get('/users').set('Cookie', user.cookies)).status).toBe(403);
  });

  it('answers 401 before 403: no cookie on an admin route is TOKEN_MISSING', async () => {
    const response = await t.http.get('/users');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('TOKEN_MISSING');
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
