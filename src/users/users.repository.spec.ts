import { describeEachDialect } from '../../test/support/database';
import { behavesAsUsersRepository } from '../testing';
import { KyselyUsersRepository, LastAdminError } from './users.repository';
import { normalizeUsername } from './username';

describeEachDialect('KyselyUsersRepository', (database) => {
  behavesAsUsersRepository(async () => {
    await database().db.deleteFrom('users').execute();
    return new KyselyUsersRepository(database().db);
  });

  describe('keepAnEnabledAdmin (issue 10 item 11, LAST_ADMIN)', () => {
    let repository: KyselyUsersRepository;
    let counter = 0;

    beforeEach(async () => {
      await database().db.deleteFrom('users').execute();
      repository = new KyselyUsersRepository(database().db);
    });

    const insert = (username: string) =>
      repository.insert({
        id: `id-${++counter}`,
        username,
        usernameNormalized: normalizeUsername(username),
        passwordHash: 'hash',
        roles: ['user'],
        now: Date.now(),
      });
    const insertAdmin = async (username: string) => {
      const user = await insert(username);
      return (await repository.update(user.id, { roles: ['admin', 'user'] }, Date.now()))!;
    };
    const enabledAdmins = async () =>
      (await repository.list(100)).filter((user) => !user.disabled && user.roles.includes('admin'));

    it('refuses to demote or disable the last enabled admin, and allows it while another remains', async () => {
      const first = await insertAdmin('first');
      const guard = { keepAnEnabledAdmin: true };
      await expect(
        repository.update(first.id, { roles: ['user'], ...guard }, Date.now()),
      ).rejects.toBeInstanceOf(LastAdminError);
      await expect(
        repository.update(first.id, { disabled: true, ...guard }, Date.now()),
      ).rejects.toBeInstanceOf(LastAdminError);
      // Keeping admin among the roles, or touching another user, is fine.
      expect(
        (await repository.update(first.id, { roles: ['admin'], ...guard }, Date.now()))?.roles,
      ).toEqual(['admin']);
      const second = await insertAdmin('second');
      expect(
        (await repository.update(first.id, { disabled: true, ...guard }, Date.now()))?.disabled,
      ).toBe(true);
      await expect(
        repository.update(second.id, { roles: ['user'], ...guard }, Date.now()),
      ).rejects.toBeInstanceOf(LastAdminError);
      expect((await enabledAdmins()).map((user) => user.id)).toEqual([second.id]);
    });

    it('never leaves zero admins when the last two are demoted or disabled in parallel', async () => {
      for (let round = 0; round < 10; round++) {
        await database().db.deleteFrom('users').execute();
        const a = await insertAdmin(`a${round}`);
        const b = await insertAdmin(`b${round}`);
        const c = await insert(`c${round}`);
        const results = await Promise.allSettled([
          repository.update(a.id, { roles: ['user'], keepAnEnabledAdmin: true }, Date.now()),
          repository.update(b.id, { disabled: true, keepAnEnabledAdmin: true }, Date.now()),
          repository.update(c.id, { disabled: true }, Date.now()),
        ]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
        const refused = results.filter((result) => result.status === 'rejected');
        expect(refused).toHaveLength(1);
        expect(refused[0].reason).toBeInstanceOf(LastAdminError);
        expect(await enabledAdmins()).toHaveLength(1);
      }
    });
  });
});
