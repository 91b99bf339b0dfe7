import type { AuditModuleOptions } from '../audit.module-definition';
import { RecordingAudit } from '../testing';
import { BlocksService } from './blocks.service';
import { InMemoryBlocksRepository } from './testing/in-memory-blocks.repository';

const NOW = Date.parse('2027-03-01T12:00:00.000Z');
const DAY = 86_400_000;
const options = { sealKey: 'k'.repeat(40), retentionDays: 30 } as AuditModuleOptions;

function setup() {
  const repository = new InMemoryBlocksRepository();
  const audit = new RecordingAudit();
  const service = new BlocksService(repository, audit.asService(), options);
  return { repository, audit, service };
}

describe('BlocksService', () => {
  it('places an IP block once: a second request while it holds returns it, unaudited', async () => {
    const { service, audit } = setup();
    const first = await service.place(
      { kind: 'ip', subject: '198.51.100.7', reason: 'review:brute-force', durationSeconds: 600 },
      NOW,
    );
    expect(first.created).toBe(true);
    expect(first.block).toMatchObject({
      kind: 'ip',
      subject: '198.51.100.7',
      expiresAt: new Date(NOW + 600_000).toISOString(),
    });
    const again = await service.place(
      { kind: 'ip', subject: '198.51.100.7', reason: 'review:other', durationSeconds: 9999 },
      NOW + 1000,
    );
    expect(again).toEqual({ block: first.block, created: false });
    expect(audit.events).toEqual([
      expect.objectContaining({
        type: 'ip_blocked',
        level: 'WARN',
        details: expect.objectContaining({ blockId: first.block.id, ip: '198.51.100.7' }),
      }),
    ]);
  });

  it('audits an account lock under the username, with reason locked', async () => {
    const { service, audit } = setup();
    const { block } = await service.place(
      {
        kind: 'account',
        subject: 'ann',
        reason: 'review:spray',
        durationSeconds: 60,
        findingId: 'f1',
      },
      NOW,
    );
    expect(block.findingId).toBe('f1');
    expect(audit.events).toEqual([
      expect.objectContaining({ type: 'authn_login_lock', username: 'ann', reason: 'locked' }),
    ]);
  });

  it('refuses a login from a blocked IP for every account, and ends at the expiry', async () => {
    const { service } = setup();
    await service.place(
      { kind: 'ip', subject: '198.51.100.7', reason: 'r', durationSeconds: 60 },
      NOW,
    );
    expect(await service.findActiveForLogin('198.51.100.7', 'ann', NOW)).toMatchObject({
      kind: 'ip',
    });
    expect(await service.findActiveForLogin('198.51.100.7', 'bob', NOW + 59_999)).toBeDefined();
    expect(await service.findActiveForLogin('198.51.100.7', 'ann', NOW + 60_000)).toBeUndefined();
    expect(await service.findActiveForLogin('203.0.113.1', 'ann', NOW)).toBeUndefined();
  });

  it('lets the owner of a locked account in from an IP it logged in from within the retention', async () => {
    const { service, repository } = setup();
    await service.place(
      { kind: 'account', subject: 'ann', reason: 'r', durationSeconds: 3600 },
      NOW,
    );
    repository.logins.push(
      { username: 'ann', ip: '192.0.2.1', ts: new Date(NOW - 29 * DAY).toISOString() },
      { username: 'ann', ip: '192.0.2.2', ts: new Date(NOW - 31 * DAY).toISOString() },
    );
    expect(await service.findActiveForLogin('192.0.2.1', 'ann', NOW)).toBeUndefined();
    // A login older than the retention is no longer a reason to trust the IP.
    expect(await service.findActiveForLogin('192.0.2.2', 'ann', NOW)).toMatchObject({
      kind: 'account',
      subject: 'ann',
    });
    expect(await service.findActiveForLogin('203.0.113.5', 'ann', NOW)).toMatchObject({
      kind: 'account',
    });
  });

  it('prefers the IP block when both an IP block and an account lock apply', async () => {
    const { service, repository } = setup();
    await service.place(
      { kind: 'account', subject: 'ann', reason: 'r', durationSeconds: 7200 },
      NOW,
    );
    await service.place(
      { kind: 'ip', subject: '192.0.2.1', reason: 'r', durationSeconds: 60 },
      NOW,
    );
    repository.logins.push({ username: 'ann', ip: '192.0.2.1', ts: new Date(NOW).toISOString() });
    // The known IP lifts the account lock for the owner, never an IP block.
    expect(await service.findActiveForLogin('192.0.2.1', 'ann', NOW)).toMatchObject({ kind: 'ip' });
  });

  it('lifts a block once and audits it; an unknown id lifts nothing', async () => {
    const { service, audit } = setup();
    const { block } = await service.place(
      { kind: 'account', subject: 'ann', reason: 'r', durationSeconds: 60 },
      NOW,
    );
    audit.events.length = 0;
    expect(await service.lift(block.id, NOW + 1)).toMatchObject({ id: block.id });
    expect(await service.lift(block.id, NOW + 2)).toBeUndefined();
    expect(await service.lift('unknown', NOW + 2)).toBeUndefined();
    expect(audit.events).toEqual([
      expect.objectContaining({
        type: 'ip_unblocked',
        username: 'ann',
        details: { blockId: block.id, kind: 'account', subject: 'ann' },
      }),
    ]);
    expect(await service.findActiveForLogin('203.0.113.5', 'ann', NOW + 3)).toBeUndefined();
  });

  it('counts earlier blocks of a subject (repeat offenders) and lifts all account locks on unlock', async () => {
    const { service } = setup();
    await service.place({ kind: 'ip', subject: '192.0.2.9', reason: 'r', durationSeconds: 1 }, NOW);
    await service.place(
      { kind: 'ip', subject: '192.0.2.9', reason: 'r', durationSeconds: 1 },
      NOW + 5000,
    );
    expect(await service.previousBlockCount('ip', '192.0.2.9')).toBe(2);
    await service.place({ kind: 'account', subject: 'cy', reason: 'r', durationSeconds: 60 }, NOW);
    expect(await service.liftAccountLocks('cy', NOW + 2000)).toBe(1);
    // The first IP block ran out at NOW + 1 s; the second (placed later) is the one left.
    expect((await service.list(10, undefined, NOW + 2000)).map((b) => b.expiresAt)).toEqual([
      new Date(NOW + 6000).toISOString(),
    ]);
  });
});
