import { normalizeUsername } from '../common';
import { UsernameTakenError, UsersRepository } from '../users';

/**
 * The semantics every `UsersRepository` must have, as a Jest suite: call it inside a
 * `describe` of your own spec with a factory that returns an EMPTY store. It uses Jest's
 * globals (`it`, `expect`, `beforeEach`) only when called, never at import time.
 */
export function behavesAsUsersRepository(freshStore: () => Promise<UsersRepository>): void {
  let repository: UsersRepository;
  let counter = 0;

  beforeEach(async () => {
    repository = await freshStore();
  });

  const insert = (username: string) =>
    repository.insert({
      id: `contract-id-${++counter}`,
      username,
      usernameNormalized: normalizeUsername(username),
      passwordHash: 'hash',
      roles: ['user'],
      now: Date.now(),
    });

  it('stores and finds a user by id and by normalised username', async () => {
    const created = await insert('Alice');
    expect(created).toMatchObject({
      username: 'Alice',
      usernameNormalized: 'alice',
      roles: ['user'],
      disabled: false,
    });
    expect((await repository.findById(created.id))?.username).toBe('Alice');
    expect((await repository.findByNormalizedUsername('alice'))?.id).toBe(created.id);
    expect(await repository.findById('unknown')).toBeUndefined();
    expect(await repository.findByNormalizedUsername('nobody')).toBeUndefined();
  });

  it.each([
    ['ALICE', 'case'],
    ['  alice ', 'surrounding spaces'],
    ['ａｌｉｃｅ', 'full-width (NFKC) letters'],
  ])('refuses %p as a duplicate of alice (%s)', async (variant) => {
    await insert('alice');
    await expect(insert(variant)).rejects.toBeInstanceOf(UsernameTakenError);
  });

  it('updates roles, the disabled flag and the password hash', async () => {
    const created = await insert('bob');
    const updated = await repository.update(
      created.id,
      { disabled: true, roles: ['admin', 'user'], passwordHash: 'h2', passwordChanged: true },
      Date.now() + 1000,
    );
    expect(updated).toMatchObject({ disabled: true, roles: ['admin', 'user'], passwordHash: 'h2' });
    expect(Date.parse(updated!.passwordChangedAt)).toBeGreaterThan(
      Date.parse(created.passwordChangedAt),
    );
    expect(await repository.update('unknown', { disabled: true }, Date.now())).toBeUndefined();
  });

  it('pages through users by normalised username', async () => {
    for (const name of ['carol', 'alice', 'bob', 'dave']) await insert(name);
    const first = await repository.list(2);
    const second = await repository.list(2, first[1].usernameNormalized);
    expect([...first, ...second].map((user) => user.username)).toEqual([
      'alice',
      'bob',
      'carol',
      'dave',
    ]);
    expect(await repository.count()).toBe(4);
  });
}
