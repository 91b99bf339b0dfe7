import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Kysely } from 'kysely';
import {
  GatehouseHarness,
  MEDIUM_DIALECTS,
  startGatehouse,
} from '../../test/support/gatehouse-module';
import { BlocksService } from '../audit';
import { DB, KYSELY } from '../database';
import { UsersService } from '../users';
import { AuthService, ClientInfo } from './auth.service';
import { SessionService } from './sessions/session.service';

/*
 * AuthService's rules with the real services and repositories on a real database (immich's
 * "medium" tier), wired by GatehouseModule as a host wires it; no HTTP. The refresh grace is 0,
 * so every reuse of a rotated token is a reuse.
 */

const PASSWORD = 'amber-lantern-quarry-58';
const CLIENT: ClientInfo = { ip: '192.0.2.10', userAgent: 'spec' };
const CSRF_OK = (): boolean => true;

for (const [dialect, enabled] of MEDIUM_DIALECTS) {
  (enabled ? describe : describe.skip)(
    `AuthService on a real database [${dialect}${enabled ? '' : ': skipped, TEST_POSTGRES_URL not set'}]`,
    () => {
      let harness: GatehouseHarness;
      let moduleRef: TestingModule;
      let auth: AuthService;

      beforeAll(async () => {
        jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
        harness = await startGatehouse(dialect, {
          REFRESH_REUSE_GRACE: '0',
          LOGIN_PAIR_MAX_FAILURES: '3',
        });
        moduleRef = harness.moduleRef;
        auth = moduleRef.get(AuthService);
      });

      afterAll(async () => {
        await harness?.close();
        jest.restoreAllMocks();
      });

      let sequence = 0;
      /** A fresh user per test, so the tests share one module without sharing state. */
      async function newUser(): Promise<string> {
        const username = `user${(sequence += 1)}`;
        await moduleRef
          .get(UsersService)
          .create({ username, password: PASSWORD }, { audit: false });
        return username;
      }

      async function eventsOf(
        username: string,
      ): Promise<{ type: string; reason: string | null }[]> {
        return moduleRef
          .get<Kysely<DB>>(KYSELY)
          .selectFrom('audit_events')
          .select(['type', 'reason'])
          .where('username', '=', username)
          .orderBy('id')
          .execute();
      }

      it('signs in with the right password: one success event, a session, four cookie values', async () => {
        const username = await newUser();
        const signedIn = await auth.login(username, PASSWORD, CLIENT);
        expect(signedIn.user.username).toBe(username);
        expect(signedIn.cookies).toEqual(
          expect.objectContaining({
            accessToken: expect.any(String),
            refreshToken: expect.any(String),
            csrfToken: expect.any(String),
          }),
        );
        expect(await eventsOf(username)).toEqual([{ type: 'authn_login_success', reason: null }]);
      });

      it('refuses an unknown user and a wrong password alike, each audited with its reason', async () => {
        const username = await newUser();
        await expect(auth.login(username, 'wrong-password-x', CLIENT)).rejects.toMatchObject({
          code: 'INVALID_CREDENTIALS',
        });
        await expect(auth.login('nobody-here', PASSWORD, CLIENT)).rejects.toMatchObject({
          code: 'INVALID_CREDENTIALS',
        });
        expect(await eventsOf(username)).toEqual([
          { type: 'authn_login_fail', reason: 'bad_password' },
        ]);
        expect(await eventsOf('nobody-here')).toEqual([
          { type: 'authn_login_fail', reason: 'unknown_user' },
        ]);
      });

      it('locks the pair at the limit: then even the right password is refused, audited', async () => {
        const username = await newUser();
        const client = { ip: '192.0.2.77', userAgent: 'spec' };
        for (let i = 0; i < 3; i++) {
          await expect(auth.login(username, 'wrong-password-x', client)).rejects.toMatchObject({
            code: 'INVALID_CREDENTIALS',
          });
        }
        await expect(auth.login(username, PASSWORD, client)).rejects.toMatchObject({
          code: 'TOO_MANY_ATTEMPTS',
        });
        const events = await eventsOf(username);
        expect(events.map((e) => e.type)).toEqual([
          'authn_login_fail',
          'authn_login_fail',
          'authn_login_fail_max',
          'authn_login_fail',
        ]);
        expect(events[3].reason).toBe('throttled');
        // Another IP is another pair.
        await expect(auth.login(username, PASSWORD, CLIENT)).resolves.toBeDefined();
      });

      it('refuses a login from an IP the review blocked, before any password check', async () => {
        const username = await newUser();
        const client = { ip: '198.51.100.99', userAgent: 'spec' };
        await moduleRef
          .get(BlocksService)
          .place({ kind: 'ip', subject: client.ip, reason: 'review:spec', durationSeconds: 60 });
        await expect(auth.login(username, PASSWORD, client)).rejects.toMatchObject({
          code: 'TOO_MANY_ATTEMPTS',
        });
        expect(await eventsOf(username)).toEqual([
          { type: 'authn_login_fail', reason: 'ip_blocked' },
        ]);
      });

      it('rotates the refresh token; reusing a rotated one revokes the whole session', async () => {
        const username = await newUser();
        const first = await auth.login(username, PASSWORD, CLIENT);
        const second = await auth.refresh(first.cookies.refreshToken, CSRF_OK);
        expect(second.cookies.refreshToken).not.toBe(first.cookies.refreshToken);
        const third = await auth.refresh(second.cookies.refreshToken, CSRF_OK);

        // The thief replays the first token: the session ends, for the owner's token too.
        await expect(auth.refresh(first.cookies.refreshToken, CSRF_OK)).rejects.toMatchObject({
          code: 'REFRESH_REUSED',
        });
        await expect(auth.refresh(third.cookies.refreshToken, CSRF_OK)).rejects.toMatchObject({
          code: 'REFRESH_INVALID',
        });
        const sessions = moduleRef.get(SessionService);
        const match = await sessions.findByRefreshToken(third.cookies.refreshToken);
        expect(match?.session.revokedReason).toBe('refresh_reuse');
        expect((await eventsOf(username)).map((e) => e.type)).toEqual([
          'authn_login_success',
          'authn_token_refreshed',
          'authn_token_refreshed',
          'authn_token_reuse',
        ]);
      });

      it('rotates nothing when the CSRF check fails: audited as malicious_csrf', async () => {
        const username = await newUser();
        const signedIn = await auth.login(username, PASSWORD, CLIENT);
        await expect(
          auth.refresh(signedIn.cookies.refreshToken, () => false),
        ).rejects.toMatchObject({ code: 'CSRF_TOKEN' });
        expect((await eventsOf(username)).map((e) => e.type)).toContain('malicious_csrf');
        // The token is still the current one.
        await expect(auth.refresh(signedIn.cookies.refreshToken, CSRF_OK)).resolves.toBeDefined();
      });

      it('ends the session of a disabled user at its next refresh', async () => {
        const users = moduleRef.get(UsersService);
        const user = await users.create(
          { username: 'soon-disabled', password: PASSWORD },
          { audit: false },
        );
        const signedIn = await auth.login(user.username, PASSWORD, CLIENT);
        await users.update(user.id, { disabled: true });
        await expect(auth.refresh(signedIn.cookies.refreshToken, CSRF_OK)).rejects.toMatchObject({
          code: 'REFRESH_INVALID',
        });
      });
    },
  );
}
