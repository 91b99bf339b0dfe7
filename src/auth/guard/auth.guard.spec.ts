import { ExecutionContext, Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Kysely } from 'kysely';
import {
  GatehouseHarness,
  MEDIUM_DIALECTS,
  startGatehouse,
} from '../../../test/support/gatehouse-module';
import { AuthenticatedUser, Public, Roles } from '../../common';
import { DB, KYSELY } from '../../database';
import { UsersService } from '../../users';
import { AuthService, SignedIn } from '../auth.service';
import { SessionService } from '../sessions/session.service';
import { TokenService } from '../tokens/token.service';
import { AuthGuard } from './auth.guard';

/*
 * The global guard's order of checks (docs/security.md): origin, @Public, the token (the four
 * 401s), CSRF on unsafe methods, @Roles. The guard is the one GatehouseModule wires, over real
 * sessions on a real database; the ExecutionContext is a hand-written fake of an HTTP request.
 */

class Routes {
  @Public()
  open(): void {}
  guarded(): void {}
  @Roles('admin')
  adminOnly(): void {}
}

interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  user?: AuthenticatedUser;
}

function contextOf(request: FakeRequest, handler: keyof Routes): ExecutionContext {
  const http = {
    getRequest: () => request,
    getResponse: () => ({}),
    getNext: () => undefined,
  };
  return {
    getType: () => 'http',
    switchToHttp: () => http,
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    getArgs: () => [request, {}],
    getArgByIndex: (index: number) => [request, {}][index],
    switchToRpc: () => {
      throw new Error('not rpc');
    },
    switchToWs: () => {
      throw new Error('not ws');
    },
  } as unknown as ExecutionContext;
}

function request(
  method: string,
  cookies: Record<string, string> = {},
  headers: Record<string, string> = {},
): FakeRequest {
  const cookie = Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
  return {
    method,
    url: '/somewhere',
    headers: { host: '127.0.0.1', ...(cookie ? { cookie } : {}), ...headers },
  };
}

for (const [dialect, enabled] of MEDIUM_DIALECTS) {
  (enabled ? describe : describe.skip)(
    `AuthGuard [${dialect}${enabled ? '' : ': skipped, TEST_POSTGRES_URL not set'}]`,
    () => {
      let harness: GatehouseHarness;
      let moduleRef: TestingModule;
      let guard: AuthGuard;
      let signedIn: SignedIn;

      beforeAll(async () => {
        jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
        harness = await startGatehouse(dialect);
        moduleRef = harness.moduleRef;
        guard = moduleRef.get(AuthGuard, { strict: false });
        await moduleRef
          .get(UsersService)
          .create({ username: 'ann', password: 'amber-lantern-quarry-58' }, { audit: false });
      });

      beforeEach(async () => {
        signedIn = await moduleRef
          .get(AuthService)
          .login('ann', 'amber-lantern-quarry-58', { ip: '192.0.2.1', userAgent: 'spec' });
      });

      afterAll(async () => {
        await harness?.close();
        jest.restoreAllMocks();
      });

      const withToken = (token = signedIn.cookies.accessToken) => ({ access_token: token });
      const auditTypes = async (): Promise<string[]> =>
        (
          await moduleRef
            .get<Kysely<DB>>(KYSELY)
            .selectFrom('audit_events')
            .select('type')
            .orderBy('id')
            .execute()
        ).map((row) => row.type);

      it('lets a public route through without a token, and nothing else', async () => {
        expect(await guard.canActivate(contextOf(request('GET'), 'open'))).toBe(true);
        await expect(guard.canActivate(contextOf(request('GET'), 'guarded'))).rejects.toMatchObject(
          { code: 'TOKEN_MISSING' },
        );
      });

      it('puts the user of a valid token on the request', async () => {
        const req = request('GET', withToken());
        expect(await guard.canActivate(contextOf(req, 'guarded'))).toBe(true);
        expect(req.user).toMatchObject({
          username: 'ann',
          usernameNormalized: 'ann',
          roles: ['user'],
        });
      });

      it('refuses an expired, a forged and a revoked token with their own codes', async () => {
        const tokens = moduleRef.get(TokenService);
        const subject = {
          userId: signedIn.user.id,
          username: 'ann',
          roles: signedIn.user.roles,
          sessionId: 'x',
          sessionExpiresAt: Date.now() + 3_600_000,
        };
        const expired = tokens.issueAccessToken(
          { ...subject, sessionExpiresAt: Date.now() - 3_600_000 + 60_000 },
          Date.now() - 3_600_000,
        ).token;
        await expect(
          guard.canActivate(contextOf(request('GET', withToken(expired)), 'guarded')),
        ).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });

        const [header, payload] = signedIn.cookies.accessToken.split('.');
        const forged = `${header}.${payload}.${'A'.repeat(43)}`;
        await expect(
          guard.canActivate(contextOf(request('GET', withToken(forged)), 'guarded')),
        ).rejects.toMatchObject({ code: 'TOKEN_INVALID' });

        const { sid } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
          sid: string;
        };
        await moduleRef.get(SessionService).revoke(sid, 'logout');
        await expect(
          guard.canActivate(contextOf(request('GET', withToken()), 'guarded')),
        ).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
      });

      it('asks an unsafe request for the session CSRF token, in header and cookie, audited when missing', async () => {
        const csrf = signedIn.cookies.csrfToken;
        await expect(
          guard.canActivate(contextOf(request('POST', withToken()), 'guarded')),
        ).rejects.toMatchObject({ code: 'CSRF_TOKEN' });
        expect((await auditTypes()).at(-1)).toBe('malicious_csrf');
        // The header alone is not enough: the cookie must match too (double submit).
        await expect(
          guard.canActivate(
            contextOf(request('POST', withToken(), { 'x-csrf-token': csrf }), 'guarded'),
          ),
        ).rejects.toMatchObject({ code: 'CSRF_TOKEN' });
        const ok = request('POST', { ...withToken(), csrf_token: csrf }, { 'x-csrf-token': csrf });
        expect(await guard.canActivate(contextOf(ok, 'guarded'))).toBe(true);
      });

      it('refuses an unsafe request from a foreign origin before anything else, even a public one', async () => {
        const foreign = request('POST', {}, { origin: 'https://evil.example' });
        await expect(guard.canActivate(contextOf(foreign, 'open'))).rejects.toMatchObject({
          code: 'CSRF_ORIGIN',
        });
      });

      it('refuses a route whose role the user lacks: 403, audited as authz_fail', async () => {
        await expect(
          guard.canActivate(contextOf(request('GET', withToken()), 'adminOnly')),
        ).rejects.toMatchObject({ code: 'FORBIDDEN' });
        expect((await auditTypes()).at(-1)).toBe('authz_fail');
      });
    },
  );
}
