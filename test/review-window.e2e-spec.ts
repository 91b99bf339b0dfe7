import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AuditService } from '../src/audit';
import { AUDIT_MODULE_OPTIONS } from '../src/audit/audit.module-definition';
import { AuditReviewCommand } from '../src/audit/review/review.commands';
import { OfflineReviewService } from '../src/audit/review/offline-review.service';
import { Clock } from '../src/common';
import { ReviewRepository } from '../src/audit/review/review.repository';
import { ReviewService } from '../src/audit/review/review.service';
import type { ReviewRunView } from '../src/audit/review/review.view';
import { ADMIN_PASSWORD, ADMIN_USERNAME, createTestApp, LoginResult, TestApp } from './support/app';
import { createPostgresSchema, postgresUrl } from './support/database';

/*
 * The review window (issue 10, items 4, 14 and 20): refused future ends, only scheduled-style
 * runs move the next window, the window read inside the atomic claim on two instances, and
 * one report file per run.
 */

// Two instances boot per dialect on a shared two-core machine.
jest.setTimeout(60_000);

interface Deployment {
  a: TestApp;
  b: TestApp;
  close(): Promise<void>;
}

/** Two instances of the service on one database: one SQLite file, or one PostgreSQL schema. */
async function twoInstances(dialect: 'sqlite' | 'postgres'): Promise<Deployment> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gh-window-'));
    const url = `sqlite:${join(dir, 'shared.db')}`;
    const a = await createTestApp({ DATABASE_URL: url });
    const b = await createTestApp({ DATABASE_URL: url });
    return {
      a,
      b,
      close: async () => {
        await b.close();
        await a.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = await createPostgresSchema();
  const a = await createTestApp({ DATABASE_URL: schema.url });
  const b = await createTestApp({ DATABASE_URL: schema.url });
  return {
    a,
    b,
    close: async () => {
      await b.close();
      await a.close();
      await schema.drop();
    },
  };
}

async function seedFailures(t: TestApp, start: number, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => ({
    ts: new Date(start + i * 1000).toISOString(),
    type: 'authn_login_fail',
    level: 'WARN',
    outcome: 'failure',
    username: `seed${i % 7}`,
    user_id: null,
    reason: 'bad_password',
    ip: '203.0.113.40',
    user_agent: 'seed',
    request_id: `seed-${start}-${i}`,
    method: 'POST',
    path: '/auth/login',
    session_ref: null,
    details: null,
  }));
  await t.db.insertInto('audit_events').values(rows).execute();
}

function expectNoOverlap(windows: { from: string; to: string }[]): void {
  const sorted = [...windows].sort((x, y) => x.from.localeCompare(y.from));
  for (let i = 1; i < sorted.length; i += 1) {
    expect(sorted[i].from >= sorted[i - 1].to).toBe(true);
  }
}

describe('review window rules over HTTP and the CLI (e2e)', () => {
  let t: TestApp;
  let admin: LoginResult;
  const post = (body: object) =>
    t.http
      .post('/audit/reviews')
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf)
      .send(body);

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login(ADMIN_USERNAME, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a `to` later than now, and a `from` not before `to`, with 400 VALIDATION_FAILED', async () => {
    const future = [
      { to: '9999-12-31T23:59:59Z' },
      { to: new Date(Date.now() + 3 * 3600_000).toISOString() },
      { from: '2026-01-01T00:00:00Z', to: '9999-12-31T23:59:59Z' },
      { to: '9999-12-31T23:59:59Z', dryRun: true },
      { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { from: new Date(Date.now() + 3600_000).toISOString() },
    ];
    for (const body of future) {
      const response = await post(body);
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    const runs = await t.db.selectFrom('review_runs').select('id').execute();
    expect(runs).toEqual([]);
  });

  it('moves the next scheduled window only with scheduled-style runs', async () => {
    const reviews = t.app.get(ReviewService);
    const clock = t.app.get(Clock);
    const at = (iso: string) => jest.spyOn(clock, 'now').mockReturnValue(Date.parse(iso));
    try {
      at('2026-06-01T00:00:00.000Z');
      const first = await reviews.run({ trigger: 'scheduled' });
      expect(first.window.to).toBe('2026-06-01T00:00:00.000Z');
      // Explicit windows (both bounds, or only `to`) and a dry run leave the next start alone.
      at('2026-06-02T00:00:00.000Z');
      const response = await post({ from: '2026-05-01T00:00:00Z', to: '2026-06-01T12:00:00Z' });
      expect(response.status).toBe(201);
      await reviews.run({ to: '2026-06-01T18:00:00.000Z', trigger: 'cli' });
      const dry = await reviews.run({ trigger: 'api', dryRun: true });
      expect(dry.window).toEqual({
        from: '2026-06-01T00:00:00.000Z',
        to: '2026-06-02T00:00:00.000Z',
      });
      at('2026-06-03T00:00:00.000Z');
      const next = await reviews.run({ trigger: 'scheduled' });
      expect(next.window).toEqual({
        from: '2026-06-01T00:00:00.000Z',
        to: '2026-06-03T00:00:00.000Z',
      });
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('applies the same rule to `gatehouse audit:review --from/--to`', async () => {
    const command = new AuditReviewCommand(
      t.app.get(ReviewService),
      t.app.get(OfflineReviewService),
      t.app.get(AuditService),
      t.app.get(AUDIT_MODULE_OPTIONS),
    );
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await expect(
        command.run([], { to: command.parseTo('9999-12-31T23:59:59Z') }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        command.run([], {
          from: command.parseFrom('2026-02-01'),
          to: command.parseTo('2026-01-01'),
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const before = await t.db.selectFrom('review_runs').select('id').execute();
      await command.run([], { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' });
      const [row] = await t.db
        .selectFrom('review_runs')
        .selectAll()
        .where('trigger', '=', 'cli')
        .where('window_from', '=', '2026-01-01T00:00:00.000Z')
        .execute();
      expect(row).toMatchObject({ status: 'completed', advances_window: 0 });
      expect((await t.db.selectFrom('review_runs').select('id').execute()).length).toBe(
        before.length + 1,
      );
    } finally {
      write.mockRestore();
    }
  });

  it('writes review-<run id>.md for every run: two runs (and a dry run) in the same minute keep three reports', async () => {
    const reviews = t.app.get(ReviewService);
    const window = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' };
    const runs = [
      await reviews.run({ ...window, trigger: 'api' }),
      await reviews.run({ ...window, trigger: 'api' }),
      await reviews.run({ ...window, trigger: 'cli', dryRun: true }),
    ];
    const dir = t.config.review.reportDir;
    for (const run of runs) {
      expect(basename(run.reportPath!)).toBe(`review-${run.id}.md`);
      expect(readFileSync(run.reportPath!, 'utf8')).toContain(`| Run | \`${run.id}\` |`);
      const stored = await t.http
        .get(`/audit/reviews/${run.id}`)
        .set('Cookie', admin.cookies)
        .expect(200);
      expect((stored.body as ReviewRunView).reportPath).toBe(run.reportPath);
    }
    const files = readdirSync(dir).filter((name) => runs.some((run) => name.includes(run.id)));
    expect(files.sort()).toEqual(runs.map((run) => `review-${run.id}.md`).sort());
  });
});

const dialects: ['sqlite' | 'postgres', boolean][] = [
  ['sqlite', true],
  ['postgres', Boolean(postgresUrl)],
];

for (const [dialect, enabled] of dialects) {
  const label = enabled
    ? `the review window on two instances [${dialect}] (e2e)`
    : `the review window on two instances [${dialect}: skipped, TEST_POSTGRES_URL not set] (e2e)`;
  (enabled ? describe : describe.skip)(label, () => {
    let deployment: Deployment;
    beforeAll(async () => {
      deployment = await twoInstances(dialect);
    });
    afterAll(async () => {
      await deployment.close();
    });
    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('gives a claim delayed past another run the window after that run, never the same events', async () => {
      const { a, b } = deployment;
      const start = Date.parse('2026-07-01T00:00:00.000Z');
      await seedFailures(a, start, 30);
      jest.spyOn(a.app.get(Clock), 'now').mockReturnValue(start + 3600_000);
      jest.spyOn(b.app.get(Clock), 'now').mockReturnValue(start + 7200_000);
      // B asks first, but its claim reaches the database only after A's whole run.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const repositoryB = b.app.get(ReviewRepository);
      const claim = repositoryB.claim.bind(repositoryB);
      let claimed!: () => void;
      const claimWaiting = new Promise<void>((resolve) => (claimed = resolve));
      jest.spyOn(repositoryB, 'claim').mockImplementation(async (run, now) => {
        claimed();
        await gate;
        return claim(run, now);
      });
      const late = b.app.get(ReviewService).run({ trigger: 'scheduled' });
      await claimWaiting;
      const first = await a.app.get(ReviewService).run({ trigger: 'scheduled' });
      release();
      const second = await late;
      expect(first.window.to).toBe('2026-07-01T01:00:00.000Z');
      expect(first.counts.byType.authn_login_fail).toBe(30);
      expect(second.window).toEqual({
        from: '2026-07-01T01:00:00.000Z',
        to: '2026-07-01T02:00:00.000Z',
      });
      expect(second.counts.byType.authn_login_fail).toBeUndefined();
    });

    it('never reviews the same window twice under concurrent POST /audit/reviews on both instances', async () => {
      const { a, b } = deployment;
      const [adminA, adminB] = [
        await a.login(ADMIN_USERNAME, ADMIN_PASSWORD),
        await b.login(ADMIN_USERNAME, ADMIN_PASSWORD),
      ];
      const ask = (t: TestApp, admin: LoginResult) =>
        t.http
          .post('/audit/reviews')
          .set('Cookie', admin.cookies)
          .set('X-CSRF-Token', admin.csrf)
          .send({});
      for (let round = 0; round < 25; round += 1) {
        const replies = await Promise.all([ask(a, adminA), ask(b, adminB)]);
        const statuses = replies.map((reply) => reply.status).sort();
        expect([
          [201, 201],
          [201, 409],
        ]).toContainEqual(statuses);
      }
      const runs = await a.db
        .selectFrom('review_runs')
        .select(['window_from', 'window_to', 'status'])
        .where('advances_window', '=', 1)
        .execute();
      expect(runs.every((run) => run.status === 'completed')).toBe(true);
      expect(runs.length).toBeGreaterThanOrEqual(25);
      expectNoOverlap(runs.map((run) => ({ from: run.window_from, to: run.window_to })));
    });
  });
}
