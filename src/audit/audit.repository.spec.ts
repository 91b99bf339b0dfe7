import { describeEachDialect, truncateAll } from '../../test/support/database';
import { failedLoginFields } from '../testing';
import { AUDIT_EVENT_KEYS, type AuditEvent } from './audit-event';
import { AuditFileSink } from './audit-file.sink';
import { AuditRepository, KyselyAuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

type NewEvent = Omit<AuditEvent, 'id'>;

const newEvent = (overrides: Partial<NewEvent> = {}): NewEvent => failedLoginFields(overrides);

const minute = (n: number): string => new Date(Date.UTC(2026, 0, 31, 10, n)).toISOString();

describeEachDialect('KyselyAuditRepository', (getDb) => {
  let repository: AuditRepository;

  beforeEach(async () => {
    await truncateAll(getDb().db);
    repository = new KyselyAuditRepository(getDb().db);
  });

  it('stores an event and reads back the same object, keys in API.md order, as the same JSON line', async () => {
    const full = newEvent({
      userId: 'u-1',
      sessionRef: 'ref-abc',
      details: { attempt: 3, nested: { ok: true, list: [1, 'two'] }, text: 'a\\u000ab' },
    });
    const fullId = await repository.insert(full);
    const bareId = await repository.insert(
      newEvent({
        username: undefined,
        reason: undefined,
        type: 'authn_login_success',
        outcome: 'success',
      }),
    );
    expect(bareId).toBeGreaterThan(fullId);

    const [bare, stored] = await repository.list({}, 10);
    expect(stored).toEqual({ id: fullId, ...full });
    expect(Object.keys(stored)).toEqual(AUDIT_EVENT_KEYS);
    // Absent optionals are absent, not null, so the row's JSON is the file line.
    expect(Object.keys(bare)).not.toContain('username');
    expect(JSON.stringify(stored)).toBe(AuditFileSink.line({ id: fullId, ...full }));
    expect(JSON.stringify(bare)).toBe(
      AuditFileSink.line({
        id: bareId,
        ...newEvent({
          username: undefined,
          reason: undefined,
          type: 'authn_login_success',
          outcome: 'success',
        }),
      }),
    );
  });

  describe('filters', () => {
    let ids: Record<string, number>;

    beforeEach(async () => {
      ids = {
        aliceFail: await repository.insert(newEvent({ ts: minute(1) })),
        bobFail: await repository.insert(
          newEvent({ ts: minute(2), username: 'bob', ip: '198.51.100.1' }),
        ),
        aliceOk: await repository.insert(
          newEvent({
            ts: minute(3),
            type: 'authn_login_success',
            outcome: 'success',
            reason: undefined,
          }),
        ),
        mapped: await repository.insert(
          newEvent({ ts: minute(4), username: 'carol', ip: '::ffff:198.51.100.1' }),
        ),
        csrf: await repository.insert(
          newEvent({ ts: minute(5), type: 'malicious_csrf', username: undefined }),
        ),
      };
    });

    const idsOf = (events: AuditEvent[]): number[] => events.map((event) => event.id);

    it('by type, username, ip, outcome, newest first', async () => {
      expect(idsOf(await repository.list({ type: 'authn_login_success' }, 50))).toEqual([
        ids.aliceOk,
      ]);
      expect(idsOf(await repository.list({ username: 'alice' }, 50))).toEqual([
        ids.aliceOk,
        ids.aliceFail,
      ]);
      expect(idsOf(await repository.list({ ip: '198.51.100.1' }, 50))).toEqual([ids.bobFail]);
      expect(
        idsOf(await repository.list({ ip: ['198.51.100.1', '::ffff:198.51.100.1'] }, 50)),
      ).toEqual([ids.mapped, ids.bobFail]);
      expect(idsOf(await repository.list({ outcome: 'success' }, 50))).toEqual([ids.aliceOk]);
      expect(idsOf(await repository.list({ username: 'alice', outcome: 'failure' }, 50))).toEqual([
        ids.aliceFail,
      ]);
    });

    it('by time: from inclusive, to exclusive', async () => {
      expect(idsOf(await repository.list({ from: minute(2), to: minute(4) }, 50))).toEqual([
        ids.aliceOk,
        ids.bobFail,
      ]);
      expect(idsOf(await repository.list({ from: minute(5) }, 50))).toEqual([ids.csrf]);
      expect(idsOf(await repository.list({ to: minute(1) }, 50))).toEqual([]);
    });

    it('counts with the same filters', async () => {
      expect(await repository.count()).toBe(5);
      expect(await repository.count({ username: 'alice' })).toBe(2);
      expect(await repository.count({ type: 'malicious_csrf' })).toBe(1);
      expect(await repository.count({ from: minute(3), outcome: 'failure' })).toBe(2);
    });

    it('lists after an id, oldest first, for streaming readers', async () => {
      expect(idsOf(await repository.listAfterId(ids.bobFail, 2))).toEqual([
        ids.aliceOk,
        ids.mapped,
      ]);
      expect(idsOf(await repository.listAfterId(0, 50, { username: 'alice' }))).toEqual([
        ids.aliceFail,
        ids.aliceOk,
      ]);
    });
  });

  it('pages newest first by id, stable while events are inserted concurrently', async () => {
    for (let n = 0; n < 60; n++) await repository.insert(newEvent({ requestId: `old-${n}` }));
    const existing = (await repository.list({}, 1000)).map((event) => event.id);
    expect(existing).toHaveLength(60);

    const seen: number[] = [];
    let beforeId: number | undefined;
    let writer = 0;
    for (;;) {
      // Each page races a burst of inserts; they land above the first page and never shift the rest.
      const burst = Array.from({ length: 7 }, () =>
        repository.insert(newEvent({ requestId: `new-${writer++}` })),
      );
      const [page] = await Promise.all([repository.list({}, 8, beforeId), ...burst]);
      if (page.length === 0) break;
      seen.push(...page.map((event) => event.id));
      beforeId = page[page.length - 1].id;
      if (page.length < 8) break;
    }
    // Every row that existed when paging began was seen exactly once, newest first, whatever
    // landed meanwhile. A concurrent insert may or may not show: on PostgreSQL identity values
    // can commit out of order, so one still in flight when its page was read is simply new,
    // like any insert that lands above the first page.
    const all = (await repository.list({}, 10_000)).map((event) => event.id);
    expect(all).toHaveLength(60 + writer);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(seen).toEqual(expect.arrayContaining(existing));
    const missed = all.filter((id) => id <= seen[0] && !seen.includes(id));
    expect(missed.every((id) => !existing.includes(id))).toBe(true);
    expect(all.filter((id) => id > seen[0]).length).toBeGreaterThan(0);
  });

  it('deletes old events in bounded batches and leaves newer ones', async () => {
    for (let n = 0; n < 23; n++) await repository.insert(newEvent({ ts: minute(n % 10) }));
    for (let n = 0; n < 4; n++) await repository.insert(newEvent({ ts: minute(30) }));
    const cutoff = minute(20);

    expect(await repository.deleteOlderThan(cutoff, 10)).toBe(10);
    expect(await repository.deleteOlderThan(cutoff, 10)).toBe(10);
    expect(await repository.deleteOlderThan(cutoff, 10)).toBe(3);
    expect(await repository.deleteOlderThan(cutoff, 10)).toBe(0);
    expect(await repository.count()).toBe(4);
    expect(await repository.count({ from: minute(30) })).toBe(4);
  });

  it('prunes through AuditService in batches until only the retention is left', async () => {
    const now = Date.parse('2026-03-31T00:00:00.000Z');
    const daysAgo = (days: number): string => new Date(now - days * 86_400_000).toISOString();
    for (let n = 0; n < 25; n++) await repository.insert(newEvent({ ts: daysAgo(40 + n) }));
    for (let n = 0; n < 3; n++) await repository.insert(newEvent({ ts: daysAgo(29) }));
    const deletes = jest.spyOn(repository, 'deleteOlderThan');
    const audit = new AuditService(
      repository,
      { sealKey: 'k'.repeat(48), logDir: '-', fileSink: false, retentionDays: 30 },
      [],
    );

    await expect(audit.pruneOlderThan(30, 10, now)).resolves.toBe(25);
    expect(deletes.mock.calls.map((call) => call[1])).toEqual([10, 10, 10]);
    expect(await repository.count()).toBe(3);
  });
});
