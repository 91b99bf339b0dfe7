import { describeEachDialect, truncateAll } from '../../../test/support/database';
import type { Session } from './session';
import { KyselySessionsRepository } from './sessions.repository';

const NOW = 1_800_000_000_000;

function session(id: string, userId: string, overrides: Partial<Session> = {}): Session {
  return {
    id,
    userId,
    createdAt: NOW,
    lastSeenAt: NOW,
    expiresAt: NOW + 30 * 86_400_000,
    refreshExpiresAt: NOW + 7 * 86_400_000,
    refreshHash: `hash-${id}`,
    refreshGeneration: 0,
    refreshSalt: `salt-${id}`,
    previousRefreshHash: null,
    rotatedAt: null,
    revokedAt: null,
    revokedReason: null,
    ip: '192.0.2.1',
    userAgent: 'spec',
    ...overrides,
  };
}

describeEachDialect('KyselySessionsRepository', (getDb) => {
  let repository: KyselySessionsRepository;

  beforeEach(async () => {
    const { db } = getDb();
    await truncateAll(db);
    for (const [id, username, disabled] of [
      ['u1', 'ann', 0],
      ['u2', 'bob', 0],
      ['u3', 'cy', 1],
    ] as const) {
      await db
        .insertInto('users')
        .values({
          id,
          username,
          username_normalized: username,
          password_hash: 'x',
          roles: 'user',
          disabled,
          created_at: NOW,
          updated_at: NOW,
          password_changed_at: NOW,
        })
        .execute();
    }
    repository = new KyselySessionsRepository(db);
  });

  it('stores and finds a session by id', async () => {
    await repository.insert(session('s1', 'u1'));
    expect(await repository.findById('s1')).toEqual(session('s1', 'u1'));
    expect(await repository.findById('nope')).toBeUndefined();
  });

  it('rotates once per generation (compare-and-set) and keeps the previous hash', async () => {
    await repository.insert(session('s1', 'u1'));
    const rotation = {
      fromGeneration: 0,
      refreshHash: 'hash-s1-g1',
      previousRefreshHash: 'hash-s1',
      rotatedAt: NOW + 1000,
      refreshExpiresAt: NOW + 2000,
    };
    expect(await repository.rotate('s1', rotation)).toBe(true);
    expect(await repository.rotate('s1', { ...rotation, refreshHash: 'hash-s1-other' })).toBe(
      false,
    );
    const rotated = await repository.findById('s1');
    expect(rotated).toMatchObject({
      refreshGeneration: 1,
      refreshHash: 'hash-s1-g1',
      previousRefreshHash: 'hash-s1',
      rotatedAt: NOW + 1000,
      lastSeenAt: NOW + 1000,
    });
  });

  it('does not rotate a revoked session', async () => {
    await repository.insert(session('s1', 'u1'));
    await repository.revoke('s1', 'logout', NOW);
    expect(
      await repository.rotate('s1', {
        fromGeneration: 0,
        refreshHash: 'h',
        previousRefreshHash: 'hash-s1',
        rotatedAt: NOW,
        refreshExpiresAt: NOW,
      }),
    ).toBe(false);
  });

  it('reports state joined with the user: live, revoked, or user disabled', async () => {
    await repository.insert(session('s1', 'u1'));
    await repository.insert(session('s3', 'u3'));
    expect(await repository.findState('s1')).toEqual({
      userId: 'u1',
      usernameNormalized: 'ann',
      expiresAt: NOW + 30 * 86_400_000,
      ended: false,
    });
    expect((await repository.findState('s3'))?.ended).toBe(true);
    expect(await repository.revoke('s1', 'logout', NOW)).toBe(true);
    expect(await repository.revoke('s1', 'logout', NOW)).toBe(false);
    expect((await repository.findState('s1'))?.ended).toBe(true);
    expect(await repository.findState('unknown')).toBeUndefined();
  });

  it('revokes every live session of one user but the kept one, and returns their ids', async () => {
    await repository.insert(session('a', 'u1'));
    await repository.insert(session('b', 'u1'));
    await repository.insert(session('c', 'u1'));
    await repository.insert(session('d', 'u2'));
    await repository.revoke('c', 'logout', NOW);
    const revoked = await repository.revokeAllForUser('u1', 'password_change', NOW + 5, 'a');
    expect(revoked).toEqual(['b']);
    expect((await repository.findById('b'))?.revokedReason).toBe('password_change');
    expect((await repository.findById('a'))?.revokedAt).toBeNull();
    expect((await repository.findById('d'))?.revokedAt).toBeNull();
    expect((await repository.revokeAllForUser('u1', 'logout_all', NOW + 6)).sort()).toEqual(['a']);
  });

  it('lists live sessions of a user, newest first', async () => {
    await repository.insert(session('old', 'u1', { createdAt: NOW - 10 }));
    await repository.insert(session('new', 'u1', { createdAt: NOW }));
    await repository.insert(session('expired', 'u1', { expiresAt: NOW - 1 }));
    await repository.insert(session('idle', 'u1', { refreshExpiresAt: NOW - 1 }));
    await repository.insert(session('revoked', 'u1', { revokedAt: NOW - 1 }));
    await repository.insert(session('other', 'u2'));
    expect((await repository.listLiveForUser('u1', NOW)).map((s) => s.id)).toEqual(['new', 'old']);
  });

  it('deletes sessions that ended before a time', async () => {
    await repository.insert(session('live', 'u1'));
    await repository.insert(
      session('expired', 'u1', { expiresAt: NOW - 10, refreshExpiresAt: NOW - 10 }),
    );
    await repository.insert(session('revoked', 'u1', { revokedAt: NOW - 10 }));
    expect(await repository.deleteEndedBefore(NOW)).toBe(2);
    expect(await repository.findById('live')).toBeDefined();
  });
});
