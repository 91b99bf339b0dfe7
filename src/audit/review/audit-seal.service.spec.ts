import { Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { describeEachDialect, truncateAll } from '../../../test/support/database';
import type { AuditEvent } from '../audit-event';
import { KyselyAuditRepository } from '../audit.repository';
import type { AuditModuleOptions } from '../audit.module-definition';
import { AuditSealService, GENESIS_HASH } from './audit-seal.service';
import { canonicalEventText, KyselyReviewRepository } from './review.repository';
import { KyselySealsRepository } from './seals.repository';

const SEAL_KEY = 'seal-key-for-the-seal-spec-0123456789abcdef';
const OPTIONS: AuditModuleOptions = {
  sealKey: SEAL_KEY,
  logDir: '/nonexistent',
  fileSink: false,
  retentionDays: 30,
};
/** Every event is on 2026-01-10; verifying on 2026-01-20 keeps all of them within retention. */
const NOW = Date.parse('2026-01-20T00:00:00.000Z');

function event(n: number): Omit<AuditEvent, 'id'> {
  return {
    ts: `2026-01-10T10:00:${String(n % 60).padStart(2, '0')}.000Z`,
    type: 'authn_login_fail',
    level: 'WARN',
    outcome: 'failure',
    username: `user${n}`,
    reason: 'bad_password',
    ip: '203.0.113.7',
    userAgent: 'ua',
    requestId: `req-${n}`,
    method: 'POST',
    path: '/auth/login',
  };
}

describeEachDialect('AuditSealService', (database) => {
  let events: KyselyAuditRepository;
  let seals: AuditSealService;
  let errors: jest.SpyInstance;
  let logs: jest.SpyInstance;

  const db = () => database().db;
  const newService = (): AuditSealService =>
    new AuditSealService(
      new KyselyReviewRepository(db(), database().connection),
      new KyselySealsRepository(db()),
      OPTIONS,
    );

  /** Five seals of four events each; returns their ids, oldest first. */
  async function sealFive(): Promise<number[]> {
    const ids: number[] = [];
    for (let s = 0; s < 5; s += 1) {
      let last = 0;
      for (let e = 0; e < 4; e += 1) last = await events.insert(event(s * 4 + e));
      const seal = await seals.seal(`run-${s}`, last, `2026-01-1${s}T23:00:00.000Z`, NOW);
      ids.push(seal!.id);
    }
    return ids;
  }

  const sealRows = () => db().selectFrom('audit_seals').selectAll().orderBy('id').execute();

  beforeEach(async () => {
    await truncateAll(db());
    events = new KyselyAuditRepository(db());
    seals = newService();
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    errors.mockRestore();
    logs.mockRestore();
  });

  it('seals in format 2, anchors the head, and verifies', async () => {
    const ids = await sealFive();
    const rows = await sealRows();
    expect(rows.map((row) => [Number(row.format), Number(row.seq)])).toEqual([
      [2, 1],
      [2, 2],
      [2, 3],
      [2, 4],
      [2, 5],
    ]);
    expect(rows[0].last_event_ts).toBe('2026-01-10T10:00:03.000Z');
    expect(await seals.verify(NOW)).toMatchObject({
      ok: true,
      seals: 5,
      retiredSeals: 0,
      firstBrokenSeal: null,
    });
    const head = await db().selectFrom('audit_seal_head').selectAll().executeTakeFirstOrThrow();
    expect(Number(head.seal_count)).toBe(5);
    expect(head.last_hash).toBe(rows[4].hash);
    expect(ids).toHaveLength(5);
  });

  it('back-dating first_event_ts then editing or deleting a sealed event is not ok, naming that seal', async () => {
    const ids = await sealFive();
    const target = (await sealRows())[1];
    // The attack of issue 10 item 2: retire the seal, then change its events.
    await db()
      .updateTable('audit_seals')
      .set({ first_event_ts: '2000-01-01T00:00:00.000Z' })
      .where('id', '=', ids[1])
      .execute();
    await db()
      .updateTable('audit_events')
      .set({ username: 'mallory' })
      .where('id', '=', Number(target.last_event_id))
      .execute();
    expect(await seals.verify(NOW)).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: ids[1], reason: 'seal_modified' },
    });
    await db().deleteFrom('audit_events').where('id', '=', Number(target.last_event_id)).execute();
    expect(await seals.verify(NOW)).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: ids[1], reason: 'seal_modified' },
    });
  });

  it.each([
    ['sealed_through', { sealed_through: '2099-01-01T00:00:00.000Z' }],
    ['last_event_ts', { last_event_ts: '2000-01-01T00:00:00.000Z' }],
    ['event_count', { event_count: 3 }],
    ['first_event_id', { first_event_id: 1 }],
    ['events_digest', { events_digest: 'f'.repeat(64) }],
  ] as const)('a changed %s breaks the seal', async (_column, change) => {
    const ids = await sealFive();
    await db().updateTable('audit_seals').set(change).where('id', '=', ids[2]).execute();
    expect(await seals.verify(NOW)).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: ids[2], reason: 'seal_modified' },
    });
  });

  it('a changed place in the chain (seq) is a broken chain', async () => {
    const ids = await sealFive();
    await db().updateTable('audit_seals').set({ seq: 7 }).where('id', '=', ids[3]).execute();
    expect((await seals.verify(NOW)).firstBrokenSeal).toEqual({
      id: ids[3],
      reason: 'chain_broken',
    });
  });

  it('retires a seal by the clock and its sealed first event time only', async () => {
    await sealFive();
    // 45 days later every event is past the 30-day retention: only the chain is checked.
    const later = Date.parse('2026-02-25T00:00:00.000Z');
    await db().deleteFrom('audit_events').execute();
    expect(await seals.verify(later)).toMatchObject({ ok: true, seals: 5, retiredSeals: 5 });
  });

  it.each([1, 3])('deleting the newest %i seal(s) is chain_truncated', async (n) => {
    const ids = await sealFive();
    await db()
      .deleteFrom('audit_seals')
      .where('id', 'in', ids.slice(ids.length - n))
      .execute();
    expect(await seals.verify(NOW)).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: ids[ids.length - n - 1], reason: 'chain_truncated' },
    });
  });

  it('deleting every seal, a forged head, or a deleted head is chain_truncated', async () => {
    const ids = await sealFive();
    const head = await db().selectFrom('audit_seal_head').selectAll().executeTakeFirstOrThrow();
    // A head moved back to the fourth seal, with a MAC the attacker cannot compute.
    const fourth = (await sealRows())[3];
    await db()
      .updateTable('audit_seal_head')
      .set({ seal_count: 4, last_hash: fourth.hash })
      .execute();
    await db().deleteFrom('audit_seals').where('id', '=', ids[4]).execute();
    expect((await seals.verify(NOW)).firstBrokenSeal?.reason).toBe('chain_truncated');
    // The head unanchored again, as migration 0003 leaves it.
    await db().updateTable('audit_seal_head').set({ mac: null }).execute();
    expect((await newService().verify(NOW)).firstBrokenSeal?.reason).toBe('chain_truncated');
    await db().deleteFrom('audit_seal_head').execute();
    expect((await newService().verify(NOW)).firstBrokenSeal?.reason).toBe('chain_truncated');
    // Every seal gone, head kept: the count no longer matches.
    await db()
      .insertInto('audit_seal_head')
      .values({ ...head })
      .execute();
    await db().deleteFrom('audit_seals').execute();
    expect(await seals.verify(NOW)).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: 0, reason: 'chain_truncated' },
    });
  });

  describe('legacy (format 1) seals from before migration 0003', () => {
    const key = createHmac('sha256', SEAL_KEY).update('gatehouse:audit-seal').digest();

    /** Writes seals the way the first format did, over the events stored so far. */
    async function legacySeals(groups: number[][], firstEventTs?: string): Promise<number[]> {
      const ids: number[] = [];
      let previous = GENESIS_HASH;
      for (const group of groups) {
        const rows = await db()
          .selectFrom('audit_events')
          .selectAll()
          .where('id', 'in', group)
          .orderBy('id')
          .execute();
        const hmac = createHmac('sha256', key).update(`gatehouse-seal-v1\n${previous}\n`);
        for (const row of rows) hmac.update(`${canonicalEventText(row)}\n`);
        const hash = hmac.update(`count=${rows.length}\n`).digest('hex');
        const row = await db()
          .insertInto('audit_seals')
          .values({
            run_id: 'legacy',
            first_event_id: group[0],
            last_event_id: group[group.length - 1],
            event_count: rows.length,
            sealed_through: '2026-01-11T00:00:00.000Z',
            first_event_ts: firstEventTs ?? rows[0].ts,
            previous_hash: previous,
            hash,
            created_at: 1,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(Number(row.id));
        previous = hash;
      }
      return ids;
    }

    async function eventIds(n: number): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < n; i += 1) ids.push(await events.insert(event(i)));
      return ids;
    }

    it('re-seals a verifying legacy chain in format 2, then seals on top of it', async () => {
      const ids = await eventIds(6);
      await legacySeals([ids.slice(0, 3), ids.slice(3)]);
      await seals.ensureUpgraded(NOW);
      const rows = await sealRows();
      expect(rows.map((row) => [Number(row.format), Number(row.seq)])).toEqual([
        [2, 1],
        [2, 2],
      ]);
      expect(await seals.verify(NOW)).toMatchObject({ ok: true, seals: 2 });
      const more = await events.insert(event(7));
      await seals.seal('run-next', more, '2026-01-12T00:00:00.000Z', NOW);
      expect(await seals.verify(NOW)).toMatchObject({ ok: true, seals: 3 });
      // The re-sealed seals are as protected as new ones.
      await db()
        .updateTable('audit_seals')
        .set({ first_event_ts: '2000-01-01T00:00:00.000Z' })
        .where('id', '=', Number(rows[0].id))
        .execute();
      expect((await seals.verify(NOW)).firstBrokenSeal).toEqual({
        id: Number(rows[0].id),
        reason: 'seal_modified',
      });
    });

    it('keeps a legacy seal already past the retention as retired', async () => {
      const ids = await eventIds(4);
      await legacySeals([ids.slice(0, 2), ids.slice(2)], '2025-06-01T00:00:00.000Z');
      await db().deleteFrom('audit_events').where('id', '=', ids[0]).execute();
      expect(await seals.verify(NOW)).toMatchObject({ ok: true, seals: 2, retiredSeals: 2 });
      expect((await sealRows()).every((row) => Number(row.format) === 2)).toBe(true);
    });

    it('does not re-seal a broken legacy chain: verify names the seal, and nothing seals on top', async () => {
      const ids = await eventIds(6);
      const legacy = await legacySeals([ids.slice(0, 3), ids.slice(3)]);
      await db()
        .updateTable('audit_events')
        .set({ ip: '6.6.6.6' })
        .where('id', '=', ids[4])
        .execute();
      expect(await seals.verify(NOW)).toMatchObject({
        ok: false,
        firstBrokenSeal: { id: legacy[1], reason: 'event_modified' },
      });
      expect((await sealRows()).every((row) => Number(row.format) === 1)).toBe(true);
      const more = await events.insert(event(9));
      await expect(seals.seal('run-next', more, '2026-01-12T00:00:00.000Z', NOW)).rejects.toThrow(
        /head moved/,
      );
    });

    it('two processes re-sealing at once write one result', async () => {
      const ids = await eventIds(6);
      await legacySeals([ids.slice(0, 3), ids.slice(3)]);
      await Promise.all([newService().ensureUpgraded(NOW), newService().ensureUpgraded(NOW)]);
      expect(await seals.verify(NOW)).toMatchObject({ ok: true, seals: 2 });
    });
  });
});
