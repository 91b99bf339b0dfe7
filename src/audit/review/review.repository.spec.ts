import { describeEachDialect, truncateAll } from '../../../test/support/database';
import { EventScript, toAuditEvents } from '../../../test/support/review-events';
import { KyselyAuditRepository } from '../audit.repository';
import {
  CANONICAL_CHUNK_CHARS,
  canonicalEventText,
  KyselyReviewRepository,
  NewRun,
} from './review.repository';
import { auditEventFromRow } from '../audit.repository';

const run = (id: string, startedAt: number, lease = 60_000): NewRun => ({
  id,
  windowFrom: '2026-01-30T23:00:00.000Z',
  windowTo: '2026-01-31T23:00:00.000Z',
  trigger: 'test',
  dryRun: false,
  advancesWindow: false,
  startedAt,
  leaseExpiresAt: startedAt + lease,
});

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describeEachDialect('KyselyReviewRepository', (database) => {
  let repository: KyselyReviewRepository;
  let events: KyselyAuditRepository;

  beforeEach(async () => {
    await truncateAll(database().db);
    repository = new KyselyReviewRepository(database().db, database().connection);
    events = new KyselyAuditRepository(database().db);
  });

  it('claims a run only while no other run holds an unexpired lease', async () => {
    expect(await repository.claim(run(uuid(1), 1000), 1000)).toEqual({
      from: '2026-01-30T23:00:00.000Z',
      to: '2026-01-31T23:00:00.000Z',
    });
    expect(await repository.claim(run(uuid(2), 2000), 2000)).toBeUndefined();
    // The first run crashed: once its lease is over, its claim expires.
    expect(await repository.expireStaleClaims(61_000)).toBe(1);
    expect((await repository.findRun(uuid(1)))?.status).toBe('failed');
    expect(await repository.claim(run(uuid(3), 61_000), 61_000)).toBeDefined();
  });

  it('lets exactly one of many concurrent claims win', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => repository.claim(run(uuid(10 + i), 5000), 5000)),
    );
    expect(results.filter((window) => window !== undefined)).toHaveLength(1);
    const rows = await database()
      .db.selectFrom('review_runs')
      .select('id')
      .where('status', '=', 'running')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('finishes a run and finds where the last completed scheduled-style run stopped', async () => {
    await repository.claim({ ...run(uuid(1), 1000), advancesWindow: true }, 1000);
    await repository.finish(uuid(1), {
      status: 'completed',
      finishedAt: 2000,
      eventsReviewed: 3,
      counts: { byType: { a: 3 } },
      measures: [],
    });
    await repository.claim(
      { ...run(uuid(2), 3000), windowTo: '2026-02-01T23:00:00.000Z', dryRun: true },
      3000,
    );
    await repository.finish(uuid(2), {
      status: 'completed',
      finishedAt: 4000,
      eventsReviewed: 0,
      counts: {},
      measures: [],
    });
    expect(await repository.lastReviewedThrough()).toBe('2026-01-31T23:00:00.000Z');
    const found = await repository.findRun(uuid(1));
    expect(found).toMatchObject({
      status: 'completed',
      eventsReviewed: 3,
      counts: { byType: { a: 3 } },
      dryRun: false,
      finishedAt: 2000,
    });
    const [newest, ...rest] = await repository.listRuns(1);
    expect(newest.id).toBe(uuid(2));
    expect(rest).toEqual([]);
    const next = await repository.listRuns(5, { startedAt: newest.startedAt, id: newest.id });
    expect(next.map((r) => r.id)).toEqual([uuid(1)]);
  });

  it('reads a window of events by id, with only the review columns', async () => {
    const script = new EventScript('2026-01-31T10:00:00.000Z');
    script.succeed('alice', '192.0.2.1');
    script.add({
      type: 'authn_login_fail',
      outcome: 'failure',
      username: 'bob',
      reason: 'unknown_user',
      ip: '192.0.2.2',
      after: 3600_000,
      userAgent: 'python-requests/2.32',
    });
    script.succeed('carol', '192.0.2.3', 3600_000);
    for (const event of toAuditEvents(script.events)) await events.insert(event);
    const range = await repository.eventIdRange(
      '2026-01-31T10:30:00.000Z',
      '2026-01-31T13:00:00.000Z',
    );
    expect(range).toBeDefined();
    const page = await repository.listEventsForReview(range!.firstId - 1, range!.lastId, 10);
    expect(page.map((e) => [e.type, e.username, e.reason, e.ip, e.userAgent])).toEqual([
      ['authn_login_fail', 'bob', 'unknown_user', '192.0.2.2', 'python-requests/2.32'],
      ['authn_login_success', 'carol', undefined, '192.0.2.3', 'test-agent/1.0'],
    ]);
    expect(page[0].time).toBe(Date.parse(page[0].ts));
    expect(
      await repository.eventIdRange('2027-01-01T00:00:00.000Z', '2027-01-02T00:00:00.000Z'),
    ).toBeUndefined();
    expect(await repository.firstEventTs()).toBe(script.events[0].ts);
  });

  it('answers which IPs a user logged in from before a time', async () => {
    const script = new EventScript('2026-01-30T10:00:00.000Z');
    script.succeed('alice', '192.0.2.1');
    script.succeed('alice', '192.0.2.9');
    script.fail('alice', '203.0.113.1');
    script.succeed('bob', '192.0.2.2', 86_400_000);
    for (const event of toAuditEvents(script.events)) await events.insert(event);
    const known = await repository.successfulIpsBefore(
      ['alice', 'bob', 'nobody'],
      '2026-01-01T00:00:00.000Z',
      '2026-01-31T00:00:00.000Z',
    );
    expect([...known.keys()]).toEqual(['alice']);
    expect([...known.get('alice')!].sort()).toEqual(['192.0.2.1', '192.0.2.9']);
  });

  it('stores findings and recognises one already acted on by a completed run', async () => {
    await repository.claim(run(uuid(1), 1000), 1000);
    const finding = {
      id: uuid(100),
      runId: uuid(1),
      rule: 'brute-force',
      severity: 'high' as const,
      subjectKind: 'username' as const,
      subject: 'alice',
      evidence: { failures: 30, ips: ['203.0.113.5'] },
      firstSeen: '2026-01-31T10:00:00.000Z',
      lastSeen: '2026-01-31T10:05:00.000Z',
      sampleEventIds: [1, 2, 3],
      measures: [{ kind: 'block_ip' as const, ip: '203.0.113.5' }],
    };
    await repository.insertFindings([finding]);
    expect(await repository.findingsOfRun(uuid(1))).toEqual([{ ...finding, repeatOf: undefined }]);
    expect(
      await repository.findActedFinding('brute-force', 'alice', finding.firstSeen, uuid(2)),
    ).toBeUndefined();
    await repository.finish(uuid(1), {
      status: 'completed',
      finishedAt: 2000,
      eventsReviewed: 1,
      counts: {},
      measures: [],
    });
    expect(
      await repository.findActedFinding('brute-force', 'alice', finding.firstSeen, uuid(2)),
    ).toBe(uuid(100));
    expect(
      await repository.findActedFinding('brute-force', 'alice', finding.firstSeen, uuid(1)),
    ).toBeUndefined();
  });

  it('gives each event the canonical text of the JSON-lines file, without parsing details', async () => {
    const script = new EventScript('2026-01-31T10:00:00.000Z');
    const [event] = toAuditEvents([script.succeed('zoë', '2001:db8::1')]);
    await events.insert({
      ...event,
      sessionRef: 'ref',
      details: { blockId: 'b-1', nested: { list: [1, 'two', null] }, note: 'é\u2028' },
    });
    await events.insert({ ...event, userId: 'u-1' });
    const rows = await database().db.selectFrom('audit_events').selectAll().orderBy('id').execute();
    for (const row of rows)
      expect(canonicalEventText(row)).toBe(JSON.stringify(auditEventFromRow(row)));
    const canonical = await repository.listCanonicalEvents(0, 1e12, 10);
    expect(canonical.map((e) => e.text)).toEqual(
      rows.map((row) => JSON.stringify(auditEventFromRow(row))),
    );
    // The review's own pass: every event for the detectors, only those after the seal for the seal.
    const firstId = Number(rows[0].id);
    const combined = await repository.listEventsForReviewAndSeal(0, 1e12, 10, firstId);
    expect(combined.events.map((e) => [e.id, e.username, e.type, e.userAgent])).toEqual(
      rows.map((row) => [Number(row.id), 'zoë', 'authn_login_success', 'test-agent/1.0']),
    );
    expect(combined.sealed).toEqual({
      chunks: [`${canonical[1].text}\n`],
      count: 1,
      firstId: Number(rows[1].id),
      lastId: Number(rows[1].id),
      firstTs: rows[1].ts,
      lastTs: rows[1].ts,
    });
  });

  it('splits a page of canonical lines into pieces that join to exactly the lines', async () => {
    const script = new EventScript('2026-01-31T10:00:00.000Z');
    const [event] = toAuditEvents([script.fail('mallory', '203.0.113.9')]);
    const note = 'x'.repeat(400);
    for (let i = 0; i < 200; i += 1) await events.insert({ ...event, details: { i, note } });
    const canonical = await repository.listCanonicalEvents(0, 1e12, 500);
    const { events: page, sealed } = await repository.listEventsForReviewAndSeal(0, 1e12, 500, 0);
    expect(page).toHaveLength(200);
    expect(sealed.count).toBe(200);
    expect(sealed.chunks.length).toBeGreaterThan(1);
    expect(sealed.chunks.join('')).toBe(canonical.map((e) => `${e.text}\n`).join(''));
    // Each piece stays near the bound: it ends on the line that crossed it.
    for (const chunk of sealed.chunks)
      expect(chunk.length).toBeLessThan(CANONICAL_CHUNK_CHARS + 1000);
    // `time` is parsed from `ts` when asked for.
    expect(page[0].time).toBe(Date.parse(page[0].ts));
  });
});
