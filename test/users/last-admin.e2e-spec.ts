import { randomUUID } from 'node:crypto';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  HTTP_ADAPTERS,
  LoginResult,
  TestApp,
} from '../support/app';
import { isolatedEnv, runCli } from '../support/process';

const PASSWORD = 'granite-orchard-window-47';
const LAST_ADMIN = {
  statusCode: 409,
  code: 'LAST_ADMIN',
  message: 'This change would leave no enabled admin',
};

describe.each(HTTP_ADAPTERS)(
  'PATCH /users/:id never leaves zero enabled admins (issue 10 item 11) on %s',
  (adapter) => {
    let t: TestApp;
    let admin: LoginResult;

    beforeAll(async () => {
      t = await createTestApp({}, adapter);
      admin = await t.login(ADMIN_USERNAME, ADMIN_PASSWORD);
    });

    afterAll(async () => {
      await t.close();
    });

    const patch = (as: LoginResult, id: string, body: object) =>
      t.http
        .patch(`/users/${id}`)
        .set('Cookie', as.cookies)
        .set('X-CSRF-Token', as.csrf)
        .send(body);

    const enabledAdmins = async () =>
      (await t.db.selectFrom('users').select(['id', 'roles', 'disabled']).execute()).filter(
        (row) => Number(row.disabled) === 0 && row.roles.split(',').includes('admin'),
      );

    it('refuses the last admin demoting or disabling itself with 409 LAST_ADMIN', async () => {
      const [only] = await enabledAdmins();
      for (const body of [
        { roles: ['user'] },
        { disabled: true },
        { disabled: true, roles: ['admin'] },
      ]) {
        const response = await patch(admin, only.id, body);
        expect(response.status).toBe(409);
        expect(response.body).toEqual(LAST_ADMIN);
      }
      // A change that keeps it an enabled admin is fine, and it still works.
      expect((await patch(admin, only.id, { roles: ['admin', 'user'] })).status).toBe(200);
      expect((await t.http.get('/users').set('Cookie', admin.cookies)).status).toBe(200);
      expect(await enabledAdmins()).toHaveLength(1);
    });

    it('lets one of two parallel demotions of the last two admins through, never both', async () => {
      let remaining = { id: (await enabledAdmins())[0].id, login: admin };
      for (let round = 0; round < 5; round++) {
        const name = `second-${round}-${randomUUID().slice(0, 6)}`;
        const second = await t.createUser(name, PASSWORD, ['admin']);
        const secondLogin = await t.login(name, PASSWORD);
        // Each demotes the other at the same moment.
        const [demoteSecond, disableFirst] = await Promise.all([
          patch(remaining.login, second.id, { roles: ['user'] }),
          patch(secondLogin, remaining.id, { disabled: true }),
        ]);
        // The loser is refused: 409 LAST_ADMIN, or 401 SESSION_REVOKED when the winner's change
        // had already ended the loser's session by the time its request was authenticated.
        const [winner, loser] =
          demoteSecond.status === 200 ? [demoteSecond, disableFirst] : [disableFirst, demoteSecond];
        expect(winner.status).toBe(200);
        expect([LAST_ADMIN.code, 'SESSION_REVOKED']).toContain(loser.body.code);
        expect(await enabledAdmins()).toHaveLength(1);
        if (disableFirst.status === 200) remaining = { id: second.id, login: secondLogin };
      }
    });
  },
);

describe('gatehouse users:disable of the last admin', () => {
  it('refuses with a clear message and exit code 1', () => {
    const env = isolatedEnv();
    const created = runCli(
      ['users:create', '--username', 'root', '--roles', 'admin'],
      env,
      `${PASSWORD}\n`,
    );
    expect(created.status).toBe(0);
    const refused = runCli(['users:disable', 'root'], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toBe('gatehouse: This change would leave no enabled admin');
    const listed = JSON.parse(runCli(['users:list', '--json'], env).stdout) as {
      items: { username: string; disabled: boolean }[];
    };
    expect(listed.items).toEqual([expect.objectContaining({ username: 'root', disabled: false })]);
    runCli(['users:create', '--username', 'deputy', '--roles', 'admin'], env, `${PASSWORD}\n`);
    expect(runCli(['users:disable', 'root'], env).status).toBe(0);
  }, 180_000);
});
