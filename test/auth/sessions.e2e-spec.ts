import {
  ADMIN_PASSWORD,
  createTestApp,
  HTTP_ADAPTERS,
  LENIENT_LOGIN_THROTTLE,
  parseSetCookies,
  TestApp,
} from '../support/app';

const PASSWORD = 'a long and unusual passphrase 77';
const NEW_PASSWORD = 'another long unusual passphrase 88';

function sidOf(accessToken: string): string {
  return (
    JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }
  ).sid;
}

describe.each(HTTP_ADAPTERS)(
  'sessions: refresh, reuse, logout, revocation (e2e) on %s',
  (adapter) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(LENIENT_LOGIN_THROTTLE, adapter);
      await t.createUser('sam', PASSWORD);
    });
    afterAll(async () => {
      await t.close();
    });

    const refresh = (cookies: string[], csrf: string) =>
      t.http.post('/auth/refresh').set('Cookie', cookies).set('X-CSRF-Token', csrf);
    const me = (cookies: string[]) => t.http.get('/auth/me').set('Cookie', cookies);

    async function eventTypes(requestId: string): Promise<string[]> {
      const rows = await t.db
        .selectFrom('audit_events')
        .select('type')
        .where('request_id', '=', requestId)
        .execute();
      return rows.map((row) => row.type);
    }

    /** Pretends the session's last rotation happened `seconds` ago. */
    async function ageRotation(sessionId: string, seconds: number): Promise<void> {
      await t.db
        .updateTable('sessions')
        .set({ rotated_at: Date.now() - seconds * 1000 })
        .where('id', '=', sessionId)
        .execute();
    }

    it('rotates the refresh token, keeps the sid and the CSRF token, and stores only hashes', async () => {
      const login = await t.login('sam', PASSWORD);
      const sid = sidOf(login.jar.access_token);
      const response = await refresh(login.cookies, login.csrf).set('X-Request-Id', 'refresh-ok');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        user: { id: expect.any(String), username: 'sam', roles: ['user'] },
      });
      const { jar } = parseSetCookies(response.headers['set-cookie']);
      expect(jar.refresh_token).toMatch(/^[\w-]{36}\.\d+\.[\w-]{43}$/);
      expect(jar.refresh_token).not.toBe(login.jar.refresh_token);
      expect(jar.access_token).not.toBe(login.jar.access_token);
      expect(sidOf(jar.access_token)).toBe(sid);
      expect(jar.csrf_token).toBe(login.csrf);
      expect(await eventTypes('refresh-ok')).toEqual(['authn_token_refreshed']);

      const row = await t.db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', sid)
        .executeTakeFirstOrThrow();
      expect(row.refresh_generation).toBe(1);
      const stored = JSON.stringify(row);
      expect(stored).not.toContain(jar.refresh_token);
      expect(stored).not.toContain(login.jar.refresh_token);

      const next = [
        `access_token=${jar.access_token}`,
        `refresh_token=${jar.refresh_token}`,
        `csrf_token=${jar.csrf_token}`,
      ];
      expect((await me(next)).status).toBe(200);
      expect((await refresh(next, login.csrf)).status).toBe(200);
    });

    it('answers a reuse inside the grace with the session’s current tokens and revokes nothing', async () => {
      const login = await t.login('sam', PASSWORD);
      const first = await refresh(login.cookies, login.csrf);
      expect(first.status).toBe(200);
      const firstJar = parseSetCookies(first.headers['set-cookie']).jar;

      const racing = await refresh(login.cookies, login.csrf).set('X-Request-Id', 'refresh-grace');
      expect(racing.status).toBe(200);
      const racingJar = parseSetCookies(racing.headers['set-cookie']).jar;
      expect(racingJar.refresh_token).toBe(firstJar.refresh_token);
      expect(sidOf(racingJar.access_token)).toBe(sidOf(login.jar.access_token));
      expect(await eventTypes('refresh-grace')).toEqual(['authn_token_refreshed']);

      // Nothing was revoked: the successor still refreshes, and the old access token still works.
      expect((await me(login.cookies)).status).toBe(200);
      const successor = [`refresh_token=${firstJar.refresh_token}`, `csrf_token=${login.csrf}`];
      expect((await refresh(successor, login.csrf)).status).toBe(200);
    });

    it('lets racing tabs refresh with the same token at once: all 200, one successor', async () => {
      const login = await t.login('sam', PASSWORD);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => refresh(login.cookies, login.csrf)),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
      const successors = new Set(
        answers.map(
          (answer) =>
            parseSetCookies(answer.headers['set-cookie'] as unknown as string[]).jar.refresh_token,
        ),
      );
      expect(successors.size).toBe(1);
      const row = await t.db
        .selectFrom('sessions')
        .select(['refresh_generation', 'revoked_at'])
        .where('id', '=', sidOf(login.jar.access_token))
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ refresh_generation: 1, revoked_at: null });
    });

    it('answers a reuse after the grace with 401 REFRESH_REUSED and revokes the whole session', async () => {
      const login = await t.login('sam', PASSWORD);
      const sid = sidOf(login.jar.access_token);
      const first = await refresh(login.cookies, login.csrf);
      const firstJar = parseSetCookies(first.headers['set-cookie']).jar;
      await ageRotation(sid, t.config.session.reuseGrace + 1);

      const reuse = await refresh(login.cookies, login.csrf).set('X-Request-Id', 'refresh-reuse');
      expect(reuse.status).toBe(401);
      expect(reuse.body).toEqual({
        statusCode: 401,
        code: 'REFRESH_REUSED',
        message: expect.any(String),
      });
      expect(await eventTypes('refresh-reuse')).toEqual(['authn_token_reuse']);
      const event = await t.db
        .selectFrom('audit_events')
        .selectAll()
        .where('request_id', '=', 'refresh-reuse')
        .executeTakeFirstOrThrow();
      expect(event.level).toBe('CRITICAL');
      expect(event.username).toBe('sam');

      // Every token of the session is dead: the successor refresh token and both access tokens.
      const successor = [`refresh_token=${firstJar.refresh_token}`, `csrf_token=${login.csrf}`];
      const afterwards = await refresh(successor, login.csrf);
      expect(afterwards.status).toBe(401);
      expect(afterwards.body.code).toBe('REFRESH_INVALID');
      const oldAccess = await me(login.cookies);
      expect(oldAccess.body.code).toBe('SESSION_REVOKED');
      const newAccess = await me([`access_token=${firstJar.access_token}`]);
      expect(newAccess.body.code).toBe('SESSION_REVOKED');
    });

    it('treats a token two generations old as a reuse at once, even inside the grace', async () => {
      const login = await t.login('sam', PASSWORD);
      const first = await refresh(login.cookies, login.csrf);
      const firstJar = parseSetCookies(first.headers['set-cookie']).jar;
      const second = await refresh(
        [`refresh_token=${firstJar.refresh_token}`, `csrf_token=${login.csrf}`],
        login.csrf,
      );
      expect(second.status).toBe(200);
      const stale = await refresh(login.cookies, login.csrf).set('X-Request-Id', 'refresh-stale');
      expect(stale.status).toBe(401);
      expect(stale.body.code).toBe('REFRESH_REUSED');
      expect(await eventTypes('refresh-stale')).toEqual(['authn_token_reuse']);
      expect((await me(login.cookies)).body.code).toBe('SESSION_REVOKED');
    });

    it('answers 401 REFRESH_INVALID for a forged or altered refresh token', async () => {
      const login = await t.login('sam', PASSWORD);
      const [sid, generation, mac] = login.jar.refresh_token.split('.');
      const forged = [
        `${sid}.${Number(generation) + 1}.${mac}`,
        `${sid}.${generation}.${'A'.repeat(43)}`,
        `00000000-0000-4000-8000-000000000000.${generation}.${mac}`,
        mac,
      ];
      for (const token of forged) {
        const response = await refresh(
          [`refresh_token=${token}`, `csrf_token=${login.csrf}`],
          login.csrf,
        );
        expect({ token, status: response.status, code: response.body.code }).toEqual({
          token,
          status: 401,
          code: 'REFRESH_INVALID',
        });
      }
      // None of them harmed the real session.
      expect((await refresh(login.cookies, login.csrf)).status).toBe(200);
    });

    it('answers 401 REFRESH_INVALID without or with an unknown refresh cookie', async () => {
      const none = await t.http.post('/auth/refresh');
      expect(none.status).toBe(401);
      expect(none.body).toEqual({
        statusCode: 401,
        code: 'REFRESH_INVALID',
        message: expect.any(String),
      });
      const unknown = await refresh(
        ['refresh_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
        'x',
      );
      expect(unknown.status).toBe(401);
      expect(unknown.body.code).toBe('REFRESH_INVALID');
    });

    it('needs the CSRF token on refresh (403 CSRF_TOKEN) and changes nothing without it', async () => {
      const login = await t.login('sam', PASSWORD);
      const missing = await t.http
        .post('/auth/refresh')
        .set('Cookie', login.cookies)
        .set('X-Request-Id', 'refresh-no-csrf');
      expect(missing.status).toBe(403);
      expect(missing.body.code).toBe('CSRF_TOKEN');
      expect(await eventTypes('refresh-no-csrf')).toEqual(['malicious_csrf']);
      const wrong = await refresh(login.cookies, 'A'.repeat(43));
      expect(wrong.status).toBe(403);
      // The refresh token was not consumed.
      expect((await refresh(login.cookies, login.csrf)).status).toBe(200);
    });

    it('ends the session at SESSION_ABSOLUTE_TTL whatever the refreshes', async () => {
      const login = await t.login('sam', PASSWORD);
      await t.db
        .updateTable('sessions')
        .set({ expires_at: Date.now() - 1 })
        .where('id', '=', sidOf(login.jar.access_token))
        .execute();
      const response = await refresh(login.cookies, login.csrf);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('REFRESH_INVALID');
    });

    it('logout: 204, cleared cookies, then replaying the old access or refresh token fails', async () => {
      const login = await t.login('sam', PASSWORD);
      const logout = await t.http
        .post('/auth/logout')
        .set('Cookie', login.cookies)
        .set('X-CSRF-Token', login.csrf)
        .set('X-Request-Id', 'logout-1');
      expect(logout.status).toBe(204);
      expect(logout.headers['set-cookie']).toEqual([
        'access_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
        'refresh_token=; Max-Age=0; Path=/auth; HttpOnly; SameSite=Strict',
        'csrf_token=; Max-Age=0; Path=/; SameSite=Lax',
      ]);
      expect(await eventTypes('logout-1')).toEqual(['session_logout']);
      const replay = await me(login.cookies);
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('SESSION_REVOKED');
      const replayRefresh = await refresh(login.cookies, login.csrf);
      expect(replayRefresh.status).toBe(401);
      expect(replayRefresh.body.code).toBe('REFRESH_INVALID');
    });

    it('logout-all revokes every session of the user, and only theirs', async () => {
      const a = await t.login('sam', PASSWORD);
      const b = await t.login('sam', PASSWORD);
      const admin = await t.login('admin', ADMIN_PASSWORD);
      const response = await t.http
        .post('/auth/logout-all')
        .set('Cookie', a.cookies)
        .set('X-CSRF-Token', a.csrf);
      expect(response.status).toBe(204);
      expect((await me(a.cookies)).body.code).toBe('SESSION_REVOKED');
      expect((await me(b.cookies)).body.code).toBe('SESSION_REVOKED');
      expect((await refresh(b.cookies, b.csrf)).body.code).toBe('REFRESH_INVALID');
      expect((await me(admin.cookies)).status).toBe(200);
    });

    it('lists the live sessions, marks the current one, and deletes one by id', async () => {
      const a = await t.login('sam', PASSWORD);
      const b = await t.login('sam', PASSWORD);
      const list = await t.http.get('/auth/sessions').set('Cookie', a.cookies);
      expect(list.status).toBe(200);
      expect(list.body.nextCursor).toBeNull();
      const ids = (list.body.items as { id: string; current: boolean }[]).map((item) => item.id);
      expect(ids).toEqual(
        expect.arrayContaining([sidOf(a.jar.access_token), sidOf(b.jar.access_token)]),
      );
      const current = (list.body.items as { id: string; current: boolean }[]).filter(
        (item) => item.current,
      );
      expect(current).toEqual([expect.objectContaining({ id: sidOf(a.jar.access_token) })]);
      expect(list.body.items[0]).toEqual({
        id: expect.any(String),
        createdAt: expect.stringMatching(/Z$/),
        lastSeenAt: expect.stringMatching(/Z$/),
        ip: expect.any(String),
        userAgent: expect.any(String),
        current: expect.any(Boolean),
      });

      const deleteOther = await t.http
        .delete(`/auth/sessions/${sidOf(b.jar.access_token)}`)
        .set('Cookie', a.cookies)
        .set('X-CSRF-Token', a.csrf);
      expect(deleteOther.status).toBe(204);
      expect(deleteOther.headers['set-cookie']).toBeUndefined();
      expect((await me(b.cookies)).body.code).toBe('SESSION_REVOKED');
      expect((await me(a.cookies)).status).toBe(200);

      const deleteCurrent = await t.http
        .delete(`/auth/sessions/${sidOf(a.jar.access_token)}`)
        .set('Cookie', a.cookies)
        .set('X-CSRF-Token', a.csrf);
      expect(deleteCurrent.status).toBe(204);
      expect(deleteCurrent.headers['set-cookie']).toHaveLength(3);
      expect((await me(a.cookies)).body.code).toBe('SESSION_REVOKED');
    });

    it('answers 404 for another user’s session and for an unknown id', async () => {
      const sam = await t.login('sam', PASSWORD);
      const admin = await t.login('admin', ADMIN_PASSWORD);
      const foreign = await t.http
        .delete(`/auth/sessions/${sidOf(admin.jar.access_token)}`)
        .set('Cookie', sam.cookies)
        .set('X-CSRF-Token', sam.csrf);
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('NOT_FOUND');
      const unknown = await t.http
        .delete('/auth/sessions/00000000-0000-4000-8000-000000000000')
        .set('Cookie', sam.cookies)
        .set('X-CSRF-Token', sam.csrf);
      expect(unknown.status).toBe(404);
      const malformed = await t.http
        .delete('/auth/sessions/not-a-uuid')
        .set('Cookie', sam.cookies)
        .set('X-CSRF-Token', sam.csrf);
      expect(malformed.status).toBe(404);
      expect((await me(admin.cookies)).status).toBe(200);
    });

    it('never writes a password, token or cookie value into the audit trail', async () => {
      const login = await t.login('sam', PASSWORD);
      const refreshed = await refresh(login.cookies, login.csrf);
      const jar = parseSetCookies(refreshed.headers['set-cookie']).jar;
      await t.http.post('/auth/login').send({ username: 'sam', password: 'a wrong secret value!' });
      await t.http
        .post('/auth/login')
        .send({ username: 'hunter2-in-username-field-is-fine', password: 'x' });
      const rows = JSON.stringify(await t.db.selectFrom('audit_events').selectAll().execute());
      const secrets = [
        PASSWORD,
        'a wrong secret value!',
        login.jar.access_token,
        login.jar.refresh_token.split('.')[2],
        jar.access_token,
        jar.refresh_token.split('.')[2],
        login.csrf,
        t.config.jwt.secret,
      ];
      for (const secret of secrets) expect(rows).not.toContain(secret);
      // Session ids appear only as keyed references.
      expect(rows).not.toContain(sidOf(login.jar.access_token));
    });

    it('password change keeps the current session and revokes the others', async () => {
      await t.createUser('pat', PASSWORD);
      const current = await t.login('pat', PASSWORD);
      const other = await t.login('pat', PASSWORD);

      const wrong = await t.http
        .post('/auth/password')
        .set('Cookie', current.cookies)
        .set('X-CSRF-Token', current.csrf)
        .send({ currentPassword: 'not it at all', newPassword: NEW_PASSWORD });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
      const weak = await t.http
        .post('/auth/password')
        .set('Cookie', current.cookies)
        .set('X-CSRF-Token', current.csrf)
        .send({ currentPassword: PASSWORD, newPassword: 'short' });
      expect(weak.status).toBe(400);
      expect(weak.body.code).toBe('PASSWORD_POLICY');
      expect((await me(other.cookies)).status).toBe(200);

      const changed = await t.http
        .post('/auth/password')
        .set('Cookie', current.cookies)
        .set('X-CSRF-Token', current.csrf)
        .set('X-Request-Id', 'password-change')
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect(changed.status).toBe(204);
      expect((await eventTypes('password-change')).sort()).toEqual([
        'authn_password_change',
        'authn_token_revoked',
      ]);
      expect((await me(current.cookies)).status).toBe(200);
      expect((await me(other.cookies)).body.code).toBe('SESSION_REVOKED');
      expect((await refresh(other.cookies, other.csrf)).body.code).toBe('REFRESH_INVALID');
      expect((await t.login('pat', PASSWORD)).status).toBe(401);
      expect((await t.login('pat', NEW_PASSWORD)).status).toBe(200);
    });
  },
);
