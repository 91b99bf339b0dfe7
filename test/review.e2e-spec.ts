import { existsSync, readFileSync } from 'node:fs';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  LENIENT_LOGIN_THROTTLE,
  LoginResult,
  TestApp,
} from './support/app';
import { EventScript, storeReviewEvents, toAuditEvents } from './support/review-events';
import { Clock } from '../src/common';
import { ReviewService } from '../src/audit/review/review.service';
import type { ReviewRunView } from '../src/audit/review/review.view';
import type { ReviewEvent } from '../src/audit/review/review.types';

const PASSWORD = 'a long and unusual passphrase 77';

// Hooks boot a whole app; on a loaded two-core machine that can pass Jest's 5 s default.
jest.setTimeout(60_000);

const store = (t: TestApp, events: ReviewEvent[]) => storeReviewEvents(t.db, events);

async function count(
  t: TestApp,
  table: 'audit_events' | 'blocks' | 'audit_seals' | 'review_findings',
): Promise<number> {
  const row = await t.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function typesSince(t: TestApp, afterId: number): Promise<string[]> {
  const rows = await t.db
    .selectFrom('audit_events')
    .select('type')
    .where('id', '>', afterId)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.type);
}

async function maxEventId(t: TestApp): Promise<number> {
  const row = await t.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

describe('nightly review over HTTP and on the real AppModule (e2e)', () => {
  let t: TestApp;
  let admin: LoginResult;
  let reviews: ReviewService;
  let clientIp: string;

  const post = (path: string, body: object) =>
    t.http.post(path).set('Cookie', admin.cookies).set('X-CSRF-Token', admin.csrf).send(body);
  const get = (path: string) => t.http.get(path).set('Cookie', admin.cookies);

  beforeAll(async () => {
    t = await createTestApp(LENIENT_LOGIN_THROTTLE);
    admin = await t.login(ADMIN_USERNAME, ADMIN_PASSWORD);
    expect(admin.status).toBe(200);
    reviews = t.app.get(ReviewService);
    // The address the server sees for this test client, as the audit trail records it.
    const row = await t.db
      .selectFrom('audit_events')
      .select('ip')
      .where('type', '=', 'authn_login_success')
      .executeTakeFirstOrThrow();
    clientIp = row.ip;
  });
  afterAll(async () => {
    await t.close();
  });

  it('is admin only: a user gets 403, no cookie gets 401', async () => {
    await t.createUser('plainuser', PASSWORD);
    const user = await t.login('plainuser', PASSWORD);
    expect((await t.http.get('/audit/reviews').set('Cookie', user.cookies)).status).toBe(403);
    expect((await t.http.get('/audit/integrity')).status).toBe(401);
    expect((await t.http.get('/audit/blocks').set('Cookie', user.cookies)).status).toBe(403);
  });

  it('validates requests: limits, dates, unknown fields, unknown ids', async () => {
    expect((await get('/audit/reviews?limit=0')).body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
    });
    expect((await get('/audit/reviews?limit=501')).status).toBe(400);
    expect((await get('/audit/blocks?limit=abc')).status).toBe(400);
    expect((await post('/audit/reviews', { from: 'yesterday' })).status).toBe(400);
    expect((await post('/audit/reviews', { dryRun: 'yes' })).status).toBe(400);
    expect((await post('/audit/reviews', { force: true })).status).toBe(400);
    expect(
      (await post('/audit/reviews', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }))
        .body,
    ).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect((await get('/audit/reviews/00000000-0000-4000-8000-000000000000')).body).toMatchObject({
      statusCode: 404,
      code: 'NOT_FOUND',
    });
    expect(
      (
        await t.http
          .delete('/audit/blocks/nope')
          .set('Cookie', admin.cookies)
          .set('X-CSRF-Token', admin.csrf)
      ).status,
    ).toBe(404);
    expect((await get('/audit/reviews?cursor=!!')).status).toBe(400);
  });

  it('finds spraying, blocks the IP (429 with Retry-After on a real login), lists and lifts the block', async () => {
    await t.createUser('sprayed', PASSWORD);
    const script = new EventScript('2026-01-10T08:00:00.000Z');
    for (let i = 0; i < 12; i += 1) script.fail(`account${i}`, clientIp);
    await store(t, script.events);
    const before = await maxEventId(t);

    const response = await post('/audit/reviews', {
      from: '2026-01-10T00:00:00Z',
      to: '2026-01-11T00:00:00Z',
    });
    expect(response.status).toBe(201);
    const run = response.body as ReviewRunView;
    expect(run).toMatchObject({
      status: 'completed',
      trigger: 'api',
      dryRun: false,
      eventsReviewed: 12,
    });
    expect(run.window).toEqual({
      from: '2026-01-10T00:00:00.000Z',
      to: '2026-01-11T00:00:00.000Z',
    });
    expect(run.findings.map((f) => [f.rule, f.subject])).toEqual([['password-spraying', clientIp]]);
    expect(run.measures).toEqual([
      expect.objectContaining({
        kind: 'block_ip',
        target: clientIp,
        result: 'applied',
        durationSeconds: 3600,
        findingId: run.findings[0].id,
      }),
    ]);
    expect(await typesSince(t, before)).toEqual([
      'ip_blocked',
      'review_finding',
      'audit_sealed',
      'review_completed',
    ]);

    const login = await t.http
      .post('/auth/login')
      .send({ username: 'sprayed', password: PASSWORD });
    expect(login.status).toBe(429);
    expect(Number(login.headers['retry-after'])).toBeGreaterThan(3500);

    const blocks = await get('/audit/blocks');
    expect(blocks.status).toBe(200);
    expect(blocks.body.nextCursor).toBeNull();
    const [block] = blocks.body.items as {
      id: string;
      kind: string;
      subject: string;
      findingId: string;
    }[];
    expect(block).toMatchObject({
      kind: 'ip',
      subject: clientIp,
      reason: 'review:password-spraying',
      findingId: run.findings[0].id,
    });

    const lifted = await t.http
      .delete(`/audit/blocks/${block.id}`)
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf);
    expect(lifted.status).toBe(204);
    expect(
      (
        await t.http
          .delete(`/audit/blocks/${block.id}`)
          .set('Cookie', admin.cookies)
          .set('X-CSRF-Token', admin.csrf)
      ).status,
    ).toBe(404);
    expect(
      (await t.http.post('/auth/login').send({ username: 'sprayed', password: PASSWORD })).status,
    ).toBe(200);
    const unblocked = await t.db
      .selectFrom('audit_events')
      .select('details')
      .where('type', '=', 'ip_unblocked')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(unblocked.details!)).toMatchObject({ blockId: block.id, kind: 'ip' });

    // The run as JSON, and in the list.
    const fetched = await get(`/audit/reviews/${run.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({
      id: run.id,
      findings: [{ rule: 'password-spraying' }],
      measures: [{ kind: 'block_ip' }],
    });
    const list = await get('/audit/reviews?limit=1');
    expect(list.body.items[0]).toMatchObject({ id: run.id, findingCount: 1, measureCount: 1 });
    expect(list.body.items[0].findings).toBeUndefined();

    // And the report for people.
    expect(run.reportPath).toMatch(new RegExp(`review-${run.id}\\.md$`));
    const report = readFileSync(run.reportPath!, 'utf8');
    expect(report).toContain('| Events reviewed | 12 |');
    expect(report).toContain('### High (1)');
    expect(report).toContain(`| block_ip | ${clientIp} | applied |`);
  });

  it('is idempotent when the same window is re-run: no new block, no new finding event', async () => {
    const script = new EventScript('2026-01-12T08:00:00.000Z');
    for (let i = 0; i < 25; i += 1) script.fail(`guess${i}`, '203.0.113.200', 'unknown_user');
    await store(t, script.events);
    const window = { from: '2026-01-12T00:00:00.000Z', to: '2026-01-13T00:00:00.000Z' };
    const first = (await post('/audit/reviews', window)).body as ReviewRunView;
    expect(first.measures).toEqual([
      expect.objectContaining({ kind: 'block_ip', target: '203.0.113.200', result: 'applied' }),
    ]);
    const blocks = await count(t, 'blocks');
    const before = await maxEventId(t);

    const second = (await post('/audit/reviews', window)).body as ReviewRunView;
    expect(second.findings).toEqual([
      expect.objectContaining({ rule: 'username-enumeration', repeatOf: first.findings[0].id }),
    ]);
    expect(second.measures).toEqual([]);
    expect(second.seal).toBeNull();
    expect(await count(t, 'blocks')).toBe(blocks);
    expect(await typesSince(t, before)).toEqual(['review_completed']);
  });

  it('answers 409 REVIEW_RUNNING while another run holds the claim, and lets two concurrent runs make one', async () => {
    await t.db
      .insertInto('review_runs')
      .values({
        id: '11111111-1111-4111-8111-111111111111',
        window_from: '2026-01-01T00:00:00.000Z',
        window_to: '2026-01-02T00:00:00.000Z',
        status: 'running',
        trigger: 'other-instance',
        dry_run: 0,
        started_at: Date.now(),
        lease_expires_at: Date.now() + 60_000,
        events_reviewed: 0,
      })
      .execute();
    const busy = await post('/audit/reviews', { dryRun: true });
    expect(busy.status).toBe(409);
    expect(busy.body).toEqual({
      statusCode: 409,
      code: 'REVIEW_RUNNING',
      message: 'A review is already running',
    });
    // That instance crashed: its lease runs out and the next claim succeeds.
    await t.db
      .updateTable('review_runs')
      .set({ lease_expires_at: Date.now() - 1 })
      .where('id', '=', '11111111-1111-4111-8111-111111111111')
      .execute();

    const window = { from: '2026-01-14T00:00:00.000Z', to: '2026-01-15T00:00:00.000Z' };
    const results = await Promise.allSettled([
      reviews.run({ ...window, trigger: 'test' }),
      reviews.run({ ...window, trigger: 'test' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: 'REVIEW_RUNNING' });
    const crashed = await t.db
      .selectFrom('review_runs')
      .selectAll()
      .where('id', '=', '11111111-1111-4111-8111-111111111111')
      .executeTakeFirstOrThrow();
    expect(crashed.status).toBe('failed');
  });

  it('dry-run reports without changing anything', async () => {
    const victim = await t.createUser('dryvictim', PASSWORD);
    const login = await t.login('dryvictim', PASSWORD);
    const script = new EventScript('2026-01-16T08:00:00.000Z');
    for (let i = 0; i < 7; i += 1) script.fail('dryvictim', '203.0.113.201');
    script.succeed('dryvictim', '203.0.113.201');
    for (let i = 0; i < 12; i += 1) script.fail(`dry${i}`, '203.0.113.202');
    await store(t, script.events);
    const snapshot = async () => [
      await count(t, 'audit_events'),
      await count(t, 'blocks'),
      await count(t, 'audit_seals'),
      await maxEventId(t),
    ];
    const before = await snapshot();

    const response = await post('/audit/reviews', {
      from: '2026-01-16T00:00:00Z',
      to: '2026-01-17T00:00:00Z',
      dryRun: true,
    });
    expect(response.status).toBe(201);
    const run = response.body as ReviewRunView;
    expect(run.dryRun).toBe(true);
    expect(run.findings.map((f) => f.rule).sort()).toEqual([
      'password-spraying',
      'success-after-failures',
    ]);
    expect(run.measures).toEqual([]);
    expect(run.seal).toBeNull();
    expect(run.reportPath).toMatch(new RegExp(`review-${run.id}\\.md$`));
    expect(await snapshot()).toEqual(before);
    expect((await t.http.get('/auth/me').set('Cookie', login.cookies)).status).toBe(200);
    expect(victim.username).toBe('dryvictim');
  });

  it('revokes the sessions of a possibly compromised account: the next request gets 401 SESSION_REVOKED', async () => {
    await t.createUser('compromised', PASSWORD);
    const login = await t.login('compromised', PASSWORD);
    expect((await t.http.get('/auth/me').set('Cookie', login.cookies)).status).toBe(200);
    const script = new EventScript('2026-01-18T08:00:00.000Z');
    for (let i = 0; i < 8; i += 1) script.fail('compromised', '203.0.113.203');
    script.succeed('compromised', '203.0.113.203');
    await store(t, script.events);

    const run = (
      await post('/audit/reviews', { from: '2026-01-18T00:00:00Z', to: '2026-01-19T00:00:00Z' })
    ).body as ReviewRunView;
    expect(run.findings.map((f) => f.rule)).toEqual(['success-after-failures']);
    expect(run.measures).toEqual([
      expect.objectContaining({
        kind: 'revoke_sessions',
        target: 'compromised',
        result: 'applied',
        sessionsRevoked: 1,
      }),
    ]);
    const me = await t.http.get('/auth/me').set('Cookie', login.cookies);
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('SESSION_REVOKED');
    // Audited once, by the session revoker (auth), in the review's request.
    const revoked = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('type', '=', 'authn_token_revoked')
      .where('username', '=', 'compromised')
      .execute();
    expect(revoked).toHaveLength(1);
    expect(revoked[0].path).toBe('/audit/reviews');
  });

  it('locks an account under a distributed attack, for IPs that never logged into it; no session ends', async () => {
    await t.createUser('besieged', PASSWORD);
    const login = await t.login('besieged', PASSWORD);
    const script = new EventScript('2026-01-20T08:00:00.000Z');
    for (let i = 0; i < 25; i += 1) script.fail('besieged', `198.18.7.${i % 15}`);
    await store(t, script.events);
    const run = (
      await post('/audit/reviews', { from: '2026-01-20T00:00:00Z', to: '2026-01-21T00:00:00Z' })
    ).body as ReviewRunView;
    expect(run.measures).toEqual([
      expect.objectContaining({ kind: 'lock_account', target: 'besieged', result: 'applied' }),
    ]);
    expect(run.measures[0].sessionsRevoked).toBeUndefined();
    const blocks = (await get('/audit/blocks')).body.items as { kind: string; subject: string }[];
    expect(blocks).toContainEqual(
      expect.objectContaining({ kind: 'account', subject: 'besieged' }),
    );
    // This client's IP logged into the account before: the owner keeps working
    // (test/review-lockout.e2e-spec.ts shows an unknown IP refused with 429).
    expect((await t.http.get('/auth/me').set('Cookie', login.cookies)).status).toBe(200);
    const attempt = await t.http
      .post('/auth/login')
      .send({ username: 'besieged', password: PASSWORD });
    expect(attempt.status).toBe(200);
  });

  it('catches up after a skipped night and never reviews an event twice', async () => {
    // Nights of Feb 1, 2 and 3; the run of Feb 2 never happened.
    const night = (day: number, user: string) => {
      const script = new EventScript(`2026-02-0${day}T12:00:00.000Z`);
      for (let i = 0; i < 25; i += 1) script.fail(user, '192.0.2.250');
      return script.events;
    };
    await store(t, [...night(1, 'night1'), ...night(2, 'night2'), ...night(3, 'night3')]);
    // Scheduled runs only: an explicit window would not move where the next one starts.
    const clock = t.app.get(Clock);
    const now = jest.spyOn(clock, 'now').mockReturnValue(Date.parse('2026-02-01T23:00:00.000Z'));
    const nights = (run: ReviewRunView) =>
      run.findings
        .filter((f) => f.rule === 'brute-force' && f.subject.startsWith('night'))
        .map((f) => f.subject)
        .sort();
    try {
      const first = await reviews.runScheduled();
      expect(first.window.to).toBe('2026-02-01T23:00:00.000Z');
      expect(nights(first)).toEqual(['night1']);
      // The scheduled window: from where the last run stopped.
      now.mockReturnValue(Date.parse('2026-02-03T23:00:00.000Z'));
      const caughtUp = await reviews.runScheduled();
      expect(caughtUp.window).toEqual({
        from: '2026-02-01T23:00:00.000Z',
        to: '2026-02-03T23:00:00.000Z',
      });
      expect(nights(caughtUp)).toEqual(['night2', 'night3']);
      // Nights 2 and 3 only: night 1's 25 failures were reviewed once, by the first run.
      expect(caughtUp.counts.byType.authn_login_fail).toBe(50);
      const next = await reviews.runScheduled();
      expect(next.window).toEqual({
        from: '2026-02-03T23:00:00.000Z',
        to: '2026-02-03T23:00:00.000Z',
      });
      expect(next.eventsReviewed).toBe(0);
    } finally {
      now.mockRestore();
    }
  });

  it('retires seals whose events are past the retention: their chain is checked, their rows may be pruned', async () => {
    const report = await get('/audit/integrity');
    expect(report.body).toMatchObject({ ok: true, firstBrokenSeal: null });
    // Every sealed window here is in January 2026, more than AUDIT_RETENTION_DAYS before today.
    expect(report.body.retiredSeals).toBe(report.body.seals);
  });

  it('seals what it reviewed, and verify names the seal of an edited or a deleted row', async () => {
    // Verify as of early February 2026, when every seal is within the retention.
    jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(Date.parse('2026-02-05T00:00:00.000Z'));
    const ok = await get('/audit/integrity');
    expect(ok.body.retiredSeals).toBe(0);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, firstBrokenSeal: null });
    expect(ok.body.seals).toBeGreaterThanOrEqual(3);
    const seals = await t.db.selectFrom('audit_seals').selectAll().orderBy('id').execute();
    expect(ok.body.sealedThrough).toBe(seals[seals.length - 1].sealed_through);
    const sealed = (await typesSince(t, 0)).filter((type) => type === 'audit_sealed');
    expect(sealed).toHaveLength(seals.length);

    // Edit a row sealed by the second seal.
    const second = seals[1];
    const target = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '>', Number(seals[0].last_event_id))
      .where('id', '<=', Number(second.last_event_id))
      .orderBy('id')
      .limit(1)
      .executeTakeFirstOrThrow();
    await t.db
      .updateTable('audit_events')
      .set({ ip: '6.6.6.6' })
      .where('id', '=', target.id)
      .execute();
    const edited = await get('/audit/integrity');
    expect(edited.body).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: Number(second.id), reason: 'event_modified' },
    });
    await t.db
      .updateTable('audit_events')
      .set({ ip: target.ip })
      .where('id', '=', target.id)
      .execute();
    expect((await get('/audit/integrity')).body.ok).toBe(true);

    // Issue 10 item 2: back-date the seal's first event time (which decides retirement), then
    // edit its event: the seal's MAC covers that time, so the seal is named, not retired.
    await t.db
      .updateTable('audit_seals')
      .set({ first_event_ts: '2000-01-01T00:00:00.000Z' })
      .where('id', '=', second.id)
      .execute();
    await t.db
      .updateTable('audit_events')
      .set({ ip: '6.6.6.6' })
      .where('id', '=', target.id)
      .execute();
    expect((await get('/audit/integrity')).body).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: Number(second.id), reason: 'seal_modified' },
    });
    await t.db
      .updateTable('audit_seals')
      .set({ first_event_ts: second.first_event_ts })
      .where('id', '=', second.id)
      .execute();
    await t.db
      .updateTable('audit_events')
      .set({ ip: target.ip })
      .where('id', '=', target.id)
      .execute();
    expect((await get('/audit/integrity')).body.ok).toBe(true);

    // Issue 10 item 3: the newest seal deleted is chain_truncated, naming the last one left.
    const newest = seals[seals.length - 1];
    await t.db.deleteFrom('audit_seals').where('id', '=', newest.id).execute();
    expect((await get('/audit/integrity')).body).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: Number(seals[seals.length - 2].id), reason: 'chain_truncated' },
    });
    await t.db.insertInto('audit_seals').values(newest).execute();
    expect((await get('/audit/integrity')).body.ok).toBe(true);

    // Delete a row of the third seal.
    const third = seals[2];
    await t.db.deleteFrom('audit_events').where('id', '=', Number(third.last_event_id)).execute();
    const deleted = await get('/audit/integrity');
    expect(deleted.body).toMatchObject({
      ok: false,
      firstBrokenSeal: { id: Number(third.id), reason: 'event_deleted' },
    });

    jest.restoreAllMocks();
  });
});

describe('review reports in a non-UTC REVIEW_TIMEZONE (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ REVIEW_TIMEZONE: 'America/New_York' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('puts events on both sides of local midnight in the run ending at 23:00 local, and titles the report by local date', async () => {
    const reviews = t.app.get(ReviewService);
    const clock = t.app.get(Clock);
    // 23:00 in New York on Jan 30 and Jan 31 (EST, UTC-5) is 04:00 UTC the next day.
    const previousEnd = '2026-01-31T04:00:00.000Z';
    const end = '2026-02-01T04:00:00.000Z';
    const script = new EventScript('2026-01-31T03:58:00.000Z');
    script.fail('midnight', '192.0.2.99', 'bad_password', 0); // 22:58 local on Jan 30: the previous run's
    for (let i = 0; i < 10; i += 1)
      script.fail('midnight', '192.0.2.99', 'bad_password', 60 * 60_000); // 23:58 local, then after midnight…
    for (let i = 0; i < 10; i += 1) script.fail('midnight', '192.0.2.99', 'bad_password', 60_000);
    const stored = script.events;
    const rows = toAuditEvents(stored);
    for (const row of rows) {
      await t.db
        .insertInto('audit_events')
        .values({
          ts: row.ts,
          type: row.type,
          level: row.level,
          outcome: row.outcome,
          username: row.username ?? null,
          user_id: null,
          reason: row.reason ?? null,
          ip: row.ip,
          user_agent: row.userAgent,
          request_id: row.requestId,
          method: row.method,
          path: row.path,
          session_ref: null,
          details: null,
        })
        .execute();
    }
    // The previous night's scheduled run stopped at 23:00 local on Jan 30.
    const now = jest.spyOn(clock, 'now').mockReturnValue(Date.parse(previousEnd));
    try {
      await reviews.runScheduled();
      now.mockReturnValue(Date.parse(end));
      const run = await reviews.runScheduled();
      expect(run.window).toEqual({ from: previousEnd, to: end });
      expect(run.counts.byType.authn_login_fail).toBe(20);
      expect(run.findings).toEqual([
        expect.objectContaining({
          rule: 'brute-force',
          subject: 'midnight',
          evidence: expect.objectContaining({ failures: 20 }),
        }),
      ]);
      // Named by run; its title is the local date of the window end (Jan 31 at 23:00 in New
      // York), not the UTC date (Feb 1).
      expect(run.reportPath).toMatch(new RegExp(`review-${run.id}\\.md$`));
      expect(existsSync(run.reportPath!)).toBe(true);
      expect(readFileSync(run.reportPath!, 'utf8')).toContain(
        '# Login review 2026-01-31 23:00 (America/New_York)',
      );
    } finally {
      now.mockRestore();
    }
  });
});
