import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Kysely } from 'kysely';
import {
  GatehouseHarness,
  MEDIUM_DIALECTS,
  startGatehouse,
} from '../../../test/support/gatehouse-module';
import { httpContext, httpRequest } from '../../../test/support/http-context';
import { Public, Roles } from '../../common';
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

const context = (request: ReturnType<typeof httpRequest>, handler: keyof Routes) =>
  httpContext(request, Routes, handler);

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
        expect(await guard.canActivate(context(httpRequest('GET'), 'open'))).toBe(true);
        await expect(
          guard.canActivate(context(httpRequest('GET'), 'guarded')),
        ).rejects.toMatchObject({ code: 'TOKEN_MISSING' });
      });

      it('puts the user of a valid token on the request', async () => {
        const req = httpRequest('GET', withToken());
        expect(await guard.canActivate(context(req, 'guarded'))).toBe(true);
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
          guard.canActivate(context(httpRequest('GET', withToken(expired)), 'guarded')),
        ).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });

        const [header, payload] = signedIn.cookies.accessToken.split('.');
        const forged = `${header}.${payload}.${'A'.repeat(43)}`;
        await expect(
          guard.canActivate(context(httpRequest('GET', withToken(forged)), 'guarded')),
        ).rejects.toMatchObject({ code: 'TOKEN_INVALID' });

        const { sid } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
          sid: string;
        };
        await moduleRef.get(SessionService).revoke(sid, 'logout');
        await expect(
          guard.canActivate(context(httpRequest('GET', withToken()), 'guarded')),
        ).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
      });

      it('asks an unsafe request for the session CSRF token, in header and cookie, audited when missing', async () => {
        const csrf = signedIn.cookies.csrfToken;
        await expect(
          guard.canActivate(context(httpRequest('POST', withToken()), 'guarded')),
        ).rejects.toMatchObject({ code: 'CSRF_TOKEN' });
        expect((await auditTypes()).at(-1)).toBe('malicious_csrf');
        // The header alone is not enough: the cookie must match too (double submit).
        await expect(
          guard.canActivate(
            context(httpRequest('POST', withToken(), { 'x-csrf-token': csrf }), 'guarded'),
          ),
        ).rejects.toMatchObject({ code: 'CSRF_TOKEN' });
        const ok = httpRequest(
          'POST',
          { ...withToken(), csrf_token: csrf },
          { 'x-csrf-token': csrf },
        );
        expect(await guard.canActivate(context(ok, 'guarded'))).toBe(true);
      });

      it('refuses an unsafe request from a foreign origin before anything else, even a public one', async () => {
        const foreign = httpRequest('POST', {}, { origin: 'https://evil.example' });
        await expect(guard.canActivate(context(foreign, 'open'))).rejects.toMatchObject({
          code: 'CSRF_ORIGIN',
        });
      });

      it('refuses a route whose role the user lacks: 403, audited as authz_fail', async () => {
        await expect(
          guard.canActivate(context(httpRequest('GET', withToken()), 'adminOnly')),
        ).rejects.toMatchObject({ code: 'FORBIDDEN' });
        expect((await auditTypes()).at(-1)).toBe('authz_fail');
      });
    },
  );
}
