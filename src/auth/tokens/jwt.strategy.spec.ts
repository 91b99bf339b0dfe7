import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { createHmac } from 'node:crypto';
import { GatehouseHarness, startGatehouse } from '../../../test/support/gatehouse-module';
import { httpContext, httpRequest } from '../../../test/support/http-context';
import { UsersService } from '../../users';
import { AuthService } from '../auth.service';
import { AuthGuard } from '../guard/auth.guard';
import { AuthKeys } from './auth-keys';
import { CLOCK_SKEW_SECONDS } from './jwt.strategy';

/*
 * What the access-token check accepts (API.md "Token failures", RFC 8725, RFC 9068), with
 * tokens this spec signs itself with the server's key: only the checks beyond the signature
 * can refuse them. They run through the guard, the strategy's one caller.
 */

class Routes {
  guarded(): void {}
}

type Json = Record<string, unknown>;

// SQLite only: the checks are the same whatever the database.
describe('JwtStrategy through the guard', () => {
  let harness: GatehouseHarness;
  let moduleRef: TestingModule;
  let guard: AuthGuard;
  let claims: Json;

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    harness = await startGatehouse('sqlite', { JWT_ISSUER: 'gh-spec', JWT_AUDIENCE: 'gh-api' });
    moduleRef = harness.moduleRef;
    guard = moduleRef.get(AuthGuard, { strict: false });
    await moduleRef
      .get(UsersService)
      .create({ username: 'ann', password: 'amber-lantern-quarry-58' }, { audit: false });
    const signedIn = await moduleRef
      .get(AuthService)
      .login('ann', 'amber-lantern-quarry-58', { ip: '192.0.2.1', userAgent: 'spec' });
    claims = JSON.parse(
      Buffer.from(signedIn.cookies.accessToken.split('.')[1], 'base64url').toString(),
    ) as Json;
  });

  afterAll(async () => {
    await harness?.close();
    jest.restoreAllMocks();
  });

  /** A compact JWS signed with the server's access-token key (HS256). */
  function sign(header: Json, payload: Json): string {
    const part = (value: Json) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${part(header)}.${part(payload)}`;
    const key = moduleRef.get(AuthKeys, { strict: false }).accessToken.export();
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  }

  const HEADER = { alg: 'HS256', typ: 'at+jwt' };
  const check = (token: string, headers: Record<string, string> = {}) =>
    guard.canActivate(
      httpContext(httpRequest('GET', { access_token: token }, headers), Routes, 'guarded'),
    );

  it('accepts a token of the right shape (the baseline of every refusal below)', async () => {
    await expect(check(sign(HEADER, claims))).resolves.toBe(true);
  });

  it.each([
    ['typ JWT instead of at+jwt', { alg: 'HS256', typ: 'JWT' }],
    ['no typ', { alg: 'HS256' }],
    ['a jku to follow', { ...HEADER, jku: 'https://evil.example/keys' }],
    ['an unknown kid', { ...HEADER, kid: 'attacker' }],
    ['a crit extension', { ...HEADER, crit: ['exp'] }],
  ])('refuses a header with %s: TOKEN_INVALID', async (_, header) => {
    await expect(check(sign(header, claims))).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('refuses alg none and a token for another issuer or audience', async () => {
    const [, payload] = sign(HEADER, claims).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    await expect(check(none)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    await expect(check(sign(HEADER, { ...claims, iss: 'someone-else' }))).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    await expect(check(sign(HEADER, { ...claims, aud: 'other-api' }))).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
  });

  it('requires exp, and an iat not beyond the allowed clock skew', async () => {
    const { exp: _exp, ...withoutExp } = claims;
    await expect(check(sign(HEADER, withoutExp))).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    const now = Math.floor(Date.now() / 1000);
    const future = { ...claims, iat: now + CLOCK_SKEW_SECONDS + 60, exp: now + 900 };
    await expect(check(sign(HEADER, future))).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const expired = { ...claims, iat: now - 1000, exp: now - 100 };
    await expect(check(sign(HEADER, expired))).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('refuses claims of the wrong shape, and a session that is not the subject’s', async () => {
    await expect(check(sign(HEADER, { ...claims, sid: 42 }))).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    await expect(check(sign(HEADER, { ...claims, roles: 'admin' }))).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    // A valid signature over another user's id for this session: the session is not theirs.
    await expect(check(sign(HEADER, { ...claims, sub: 'someone-else' }))).rejects.toMatchObject({
      code: 'SESSION_REVOKED',
    });
  });

  it('reads the cookie only: a Bearer header is ignored unless the host enables it', async () => {
    const token = sign(HEADER, claims);
    const bearerOnly = httpRequest('GET', {}, { authorization: `Bearer ${token}` });
    await expect(
      guard.canActivate(httpContext(bearerOnly, Routes, 'guarded')),
    ).rejects.toMatchObject({ code: 'TOKEN_MISSING' });
  });
});
