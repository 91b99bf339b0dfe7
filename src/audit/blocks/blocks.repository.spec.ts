import { describeEachDialect, truncateAll } from '../../../test/support/database';
import { KyselyBlocksRepository, NewBlock } from './blocks.repository';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

function block(id: string, overrides: Partial<NewBlock> = {}): NewBlock {
  return {
    id,
    kind: 'ip',
    subject: '198.51.100.7',
    reason: 'review:brute-force',
    createdAt: NOW,
    expiresAt: NOW + HOUR,
    ...overrides,
  };
}

describeEachDialect('KyselyBlocksRepository', (getDb) => {
  let repository: KyselyBlocksRepository;

  beforeEach(async () => {
    await truncateAll(getDb().db);
    repository = new KyselyBlocksRepository(getDb().db);
  });

  it('finds the blocks in force for any of the subjects, longest-lasting first', async () => {
    await repository.insert(block('b-short', { expiresAt: NOW + HOUR }));
    await repository.insert(
      block('b-long', { kind: 'account', subject: 'ann', expiresAt: NOW + 5 * HOUR }),
    );
    await repository.insert(block('b-other', { subject: '203.0.113.1' }));
    const active = await repository.findActive(
      [
        { kind: 'ip', subject: '198.51.100.7' },
        { kind: 'account', subject: 'ann' },
      ],
      NOW,
    );
    expect(active.map((b) => b.id)).toEqual(['b-long', 'b-short']);
    expect(active[0]).toEqual({
      id: 'b-long',
      kind: 'account',
      subject: 'ann',
      reason: 'review:brute-force',
      createdAt: new Date(NOW).toISOString(),
      expiresAt: new Date(NOW + 5 * HOUR).toISOString(),
    });
    expect(await repository.findActive([], NOW)).toEqual([]);
  });

  it('does not confuse an account lock with an IP block of the same text', async () => {
    await repository.insert(block('b-ip', { kind: 'ip', subject: 'same' }));
    const active = await repository.findActive([{ kind: 'account', subject: 'same' }], NOW);
    expect(active).toEqual([]);
  });

  it('treats a block as over at its expiry instant, and a lifted one as over at once', async () => {
    await repository.insert(block('b1', { findingId: 'f-1' }));
    expect(await repository.findActive([{ kind: 'ip', subject: '198.51.100.7' }], NOW)).toEqual([
      expect.objectContaining({ id: 'b1', findingId: 'f-1' }),
    ]);
    expect(
      await repository.findActive([{ kind: 'ip', subject: '198.51.100.7' }], NOW + HOUR),
    ).toEqual([]);

    const lifted = await repository.lift('b1', NOW + 1);
    expect(lifted).toMatchObject({ id: 'b1', subject: '198.51.100.7' });
    expect(await repository.findActive([{ kind: 'ip', subject: '198.51.100.7' }], NOW + 2)).toEqual(
      [],
    );
    // Lifting twice, an unknown id, or an expired block: nothing to lift.
    expect(await repository.lift('b1', NOW + 2)).toBeUndefined();
    expect(await repository.lift('nope', NOW + 2)).toBeUndefined();
    await repository.insert(block('b2', { expiresAt: NOW + 10 }));
    expect(await repository.lift('b2', NOW + 10)).toBeUndefined();
  });

  it('lifts every account lock of one user and nothing else', async () => {
    await repository.insert(block('a1', { kind: 'account', subject: 'ann' }));
    await repository.insert(
      block('a2', { kind: 'account', subject: 'ann', expiresAt: NOW + 2 * HOUR }),
    );
    await repository.insert(block('a3', { kind: 'account', subject: 'bob' }));
    await repository.insert(block('i1', { kind: 'ip', subject: 'ann' }));
    expect(await repository.liftAllFor('account', 'ann', NOW)).toBe(2);
    expect(await repository.liftAllFor('account', 'ann', NOW)).toBe(0);
    const left = await repository.listActive(NOW, 10);
    expect(left.map((b) => b.id)).toEqual(['a3', 'i1']);
  });

  it('counts every block a subject ever had, lifted and expired ones too (repeat offenders)', async () => {
    await repository.insert(block('c1', { expiresAt: NOW - HOUR }));
    await repository.insert(block('c2'));
    await repository.lift('c2', NOW);
    await repository.insert(block('c3'));
    await repository.insert(block('c4', { subject: '203.0.113.9' }));
    expect(await repository.countFor('ip', '198.51.100.7')).toBe(3);
    expect(await repository.countFor('account', '198.51.100.7')).toBe(0);
  });

  it('lists the blocks in force by id, a page at a time', async () => {
    for (const id of ['b3', 'b1', 'b2', 'b4']) await repository.insert(block(id));
    await repository.insert(block('b0', { expiresAt: NOW - 1 }));
    const first = await repository.listActive(NOW, 2);
    expect(first.map((b) => b.id)).toEqual(['b1', 'b2']);
    const second = await repository.listActive(NOW, 2, 'b2');
    expect(second.map((b) => b.id)).toEqual(['b3', 'b4']);
    expect(await repository.listActive(NOW, 2, 'b4')).toEqual([]);
  });

  it('deletes only the blocks that expired before the cut-off', async () => {
    await repository.insert(block('old', { expiresAt: NOW - 2 }));
    await repository.insert(block('edge', { expiresAt: NOW }));
    await repository.insert(block('live', { expiresAt: NOW + 1 }));
    expect(await repository.deleteExpired(NOW)).toBe(1);
    expect(await repository.countFor('ip', '198.51.100.7')).toBe(2);
  });

  it('knows whether an account logged in successfully from an IP since a time', async () => {
    const { db } = getDb();
    const event = (type: string, ts: string, ip: string, outcome = 'success') => ({
      ts,
      type,
      level: 'INFO',
      outcome,
      username: 'ann',
      ip,
      user_agent: 'spec',
      request_id: 'r',
      method: 'POST',
      path: '/auth/login',
    });
    await db
      .insertInto('audit_events')
      .values([
        event('authn_login_success', '2027-01-10T10:00:00.000Z', '192.0.2.1'),
        event('authn_login_successafterfail', '2027-01-12T10:00:00.000Z', '192.0.2.2'),
        event('authn_login_fail', '2027-01-12T10:00:00.000Z', '192.0.2.3', 'failure'),
        event('authn_token_refresh', '2027-01-12T10:00:00.000Z', '192.0.2.4'),
      ])
      .execute();
    const since = '2027-01-01T00:00:00.000Z';
    expect(await repository.loggedInFrom('ann', '192.0.2.1', since)).toBe(true);
    expect(await repository.loggedInFrom('ann', '192.0.2.2', since)).toBe(true);
    // A failure or another kind of event from that IP is no login.
    expect(await repository.loggedInFrom('ann', '192.0.2.3', since)).toBe(false);
    expect(await repository.loggedInFrom('ann', '192.0.2.4', since)).toBe(false);
    // Too long ago, or another account.
    expect(await repository.loggedInFrom('ann', '192.0.2.1', '2027-01-11T00:00:00.000Z')).toBe(
      false,
    );
    expect(await repository.loggedInFrom('bob', '192.0.2.1', since)).toBe(false);
  });
});
