import jwt from 'jsonwebtoken';
import { createHmac } from 'node:crypto';
import { ADMIN_PASSWORD, createTestApp, HTTP_ADAPTERS, LoginResult, TestApp } from '../support/app';

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

interface Claims {
  sub: string;
  sid: string;
  username: string;
  roles: string[];
  iat: number;
  exp: number;
  jti: string;
  iss: string;
  aud: string;
}

function claimsOf(token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Claims;
}

describe.each(HTTP_ADAPTERS)('access token checks (e2e) on %s', (adapter) => {
  let t: TestApp;
  let login: LoginResult;
  let valid: Claims;

  /** Signs `claims` with the server's own secret, so only the varied property is wrong. */
  function forge(
    claims: Partial<Claims> & Record<string, unknown>,
    header: Record<string, unknown> = {},
    algorithm: jwt.Algorithm = 'HS256',
  ): string {
    return jwt.sign(claims, t.config.jwt.secret, {
      algorithm,
      header: { alg: algorithm, typ: 'at+jwt', ...header },
    });
  }

  function me(token: string | undefined, extra: Record<string, string> = {}) {
    const request = t.http.get('/auth/me');
    if (token !== undefined) request.set('Cookie', `access_token=${token}`);
    for (const [name, value] of Object.entries(extra)) request.set(name, value);
    return request;
  }

  async function expect401(
    token: string | undefined,
    code: string,
    message: string,
  ): Promise<void> {
    const response = await me(token);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ statusCode: 401, code, message });
    expect(response.headers['www-authenticate']).toBe('Cookie realm="gatehouse"');
  }

  beforeAll(async () => {
    t = await createTestApp({}, adapter);
    login = await t.login('admin', ADMIN_PASSWORD);
    valid = claimsOf(login.jar.access_token);
  });
  afterAll(async () => {
    await t.close();
  });

  it('issues the claims and header of API.md', () => {
    const [header] = login.jar.access_token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'at+jwt',
    });
    expect(valid).toEqual({
      sub: expect.any(String),
      sid: expect.any(String),
      username: 'admin',
      roles: ['admin'],
      iat: expect.any(Number),
      exp: valid.iat + 900,
      jti: expect.any(String),
      iss: 'gatehouse',
      aud: 'gatehouse-api',
    });
  });

  it('accepts the valid cookie, and a token re-signed with the same claims', async () => {
    expect((await me(login.jar.access_token)).status).toBe(200);
    expect((await me(forge({ ...valid }))).status).toBe(200);
  });

  it('401 TOKEN_MISSING without the cookie', async () => {
    await expect401(undefined, 'TOKEN_MISSING', 'Unauthorized');
  });

  it('does not read a Bearer header or a query string by default', async () => {
    const bearer = await me(undefined, { Authorization: `Bearer ${login.jar.access_token}` });
    expect(bearer.status).toBe(401);
    expect(bearer.body.code).toBe('TOKEN_MISSING');
    const query = await t.http.get(`/auth/me?access_token=${login.jar.access_token}`);
    expect(query.status).toBe(401);
    expect(query.body.code).toBe('TOKEN_MISSING');
  });

  it('401 TOKEN_EXPIRED for an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(
      forge({ ...valid, iat: now - 120, exp: now - 60 }),
      'TOKEN_EXPIRED',
      'Expired token',
    );
  });

  it('401 TOKEN_INVALID for alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(valid)}.`;
    await expect401(token, 'TOKEN_INVALID', 'Invalid token');
    const withSignature = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(valid)}.${login.jar.access_token.split('.')[2]}`;
    await expect401(withSignature, 'TOKEN_INVALID', 'Invalid token');
  });

  it.each([
    ['crit', { crit: ['exp'] }],
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['jwk', { jwk: { kty: 'oct', k: 'c2VjcmV0' } }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: ['MIIBszCCAVmgAwIBAgIU'] }],
    ['an unknown kid', { kid: 'key-2019' }],
    ['an empty kid', { kid: '' }],
  ])(
    '401 TOKEN_INVALID for a validly signed token whose header carries %s (RFC 8725 §3.10)',
    async (_label, header) => {
      const token = forge({ ...valid }, header);
      await expect401(token, 'TOKEN_INVALID', 'Invalid token');
      // Twice: a refused token never enters the verified-token cache.
      await expect401(token, 'TOKEN_INVALID', 'Invalid token');
    },
  );

  it('keeps the verified-token fast path for the header it issues', async () => {
    const token = forge({ ...valid });
    expect((await me(token)).status).toBe(200);
    expect((await me(token)).status).toBe(200);
  });

  it('401 TOKEN_INVALID for HS512 with the right secret', async () => {
    await expect401(forge({ ...valid }, {}, 'HS512'), 'TOKEN_INVALID', 'Invalid token');
  });

  it('401 TOKEN_INVALID for another or a missing typ', async () => {
    await expect401(forge({ ...valid }, { typ: 'JWT' }), 'TOKEN_INVALID', 'Invalid token');
    await expect401(forge({ ...valid }, { typ: 'refresh+jwt' }), 'TOKEN_INVALID', 'Invalid token');
    await expect401(forge({ ...valid }, { typ: undefined }), 'TOKEN_INVALID', 'Invalid token');
  });

  it('401 TOKEN_INVALID for a wrong iss or aud', async () => {
    await expect401(forge({ ...valid, iss: 'someone-else' }), 'TOKEN_INVALID', 'Invalid token');
    await expect401(forge({ ...valid, aud: 'another-api' }), 'TOKEN_INVALID', 'Invalid token');
  });

  it('401 TOKEN_INVALID for a missing exp, and for an iat in the future', async () => {
    const { exp: _exp, ...withoutExp } = valid;
    await expect401(forge(withoutExp), 'TOKEN_INVALID', 'Invalid token');
    const future = Math.floor(Date.now() / 1000) + 3600;
    await expect401(
      forge({ ...valid, iat: future, exp: future + 900 }),
      'TOKEN_INVALID',
      'Invalid token',
    );
  });

  it('401 TOKEN_INVALID for a tampered payload, a wrong key and garbage', async () => {
    const [header, , signature] = login.jar.access_token.split('.');
    const tampered = `${header}.${b64({ ...valid, roles: ['admin', 'user'], username: 'mallory' })}.${signature}`;
    await expect401(tampered, 'TOKEN_INVALID', 'Invalid token');
    const otherKey = jwt.sign({ ...valid }, 'x'.repeat(16) + 'another secret of 32 bytes', {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt' },
    });
    await expect401(otherKey, 'TOKEN_INVALID', 'Invalid token');
    await expect401('not.a.jwt', 'TOKEN_INVALID', 'Invalid token');
    // A signature made with the refresh key (HKDF-derived) must not pass either.
    const hmac = createHmac('sha256', 'gatehouse')
      .update(`${header}.${b64(valid)}`)
      .digest('base64url');
    await expect401(`${header}.${b64(valid)}.${hmac}`, 'TOKEN_INVALID', 'Invalid token');
  });

  it('401 TOKEN_INVALID for claims of the wrong shape', async () => {
    await expect401(forge({ ...valid, roles: ['superuser'] }), 'TOKEN_INVALID', 'Invalid token');
    const { sid: _sid, ...withoutSid } = valid;
    await expect401(forge(withoutSid), 'TOKEN_INVALID', 'Invalid token');
  });

  it('401 SESSION_REVOKED for a well-signed token whose session is unknown or another user’s', async () => {
    await expect401(
      forge({ ...valid, sid: '00000000-0000-4000-8000-000000000000' }),
      'SESSION_REVOKED',
      'Session revoked',
    );
    await expect401(
      forge({ ...valid, sub: '00000000-0000-4000-8000-000000000001' }),
      'SESSION_REVOKED',
      'Session revoked',
    );
  });

  it('401 SESSION_REVOKED on the very next request after logout', async () => {
    const own = await t.login('admin', ADMIN_PASSWORD);
    expect((await me(own.jar.access_token)).status).toBe(200);
    const logout = await t.http
      .post('/auth/logout')
      .set('Cookie', own.cookies)
      .set('X-CSRF-Token', own.csrf);
    expect(logout.status).toBe(204);
    await expect401(own.jar.access_token, 'SESSION_REVOKED', 'Session revoked');
  });
});

describe.each(HTTP_ADAPTERS)('access token with AUTH_ALLOW_BEARER (e2e) on %s', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH_ALLOW_BEARER: 'true' }, adapter);
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a Bearer header when enabled, still never a query string', async () => {
    const login = await t.login('admin', ADMIN_PASSWORD);
    const bearer = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${login.jar.access_token}`);
    expect(bearer.status).toBe(200);
    const query = await t.http.get(`/auth/me?access_token=${login.jar.access_token}`);
    expect(query.status).toBe(401);
  });
});
