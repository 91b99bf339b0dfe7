import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, sql } from 'kysely';
import { DatabaseConnection, isPostgres, migrateToLatest, openDatabase } from '../../database';
import { StaticMigrationProvider } from '../../database';
import { createPostgresSchema, postgresUrl } from '../../../test/support/database';
import { KyselyReviewRepository, NewRun } from './review.repository';
import type { ReviewWindow } from './review.types';

/*
 * The claim reads the scheduled window and claims it in one atomic step (issue 10, item 20):
 * two instances, each with its own connection(s) to one database, race for it round after
 * round. SQLite: two better-sqlite3 handles on one file; PostgreSQL: two pools on one schema.
 */

// Many rounds through real connections, on a shared two-core machine.
jest.setTimeout(60_000);

interface Instance {
  connection: DatabaseConnection;
  repository: KyselyReviewRepository;
}

interface SharedDatabase {
  instances: [Instance, Instance];
  close(): Promise<void>;
}

function instanceOf(url: string): Instance {
  const connection = openDatabase({ url, timeoutMs: 5000, poolSize: 4 });
  return { connection, repository: new KyselyReviewRepository(connection.db, connection) };
}

async function sharedSqlite(): Promise<SharedDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-claim-'));
  const url = `sqlite:${join(dir, 'claim.db')}`;
  const a = instanceOf(url);
  await migrateToLatest(a.connection.db);
  const b = instanceOf(url);
  return {
    instances: [a, b],
    close: async () => {
      await a.connection.close();
      await b.connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function sharedPostgres(): Promise<SharedDatabase> {
  const schema = await createPostgresSchema();
  const a = instanceOf(schema.url);
  await migrateToLatest(a.connection.db);
  const b = instanceOf(schema.url);
  return {
    instances: [a, b],
    close: async () => {
      await a.connection.close();
      await b.connection.close();
      await schema.drop();
    },
  };
}

const BASE = Date.parse('2026-03-01T00:00:00.000Z');
let sequence = 0;
const uuid = (): string => `00000000-0000-4000-8000-${String((sequence += 1)).padStart(12, '0')}`;

/** A scheduled-style claim at `now`: no explicit start, `to` is now. */
function scheduled(now: number): NewRun {
  return {
    id: uuid(),
    windowTo: new Date(now).toISOString(),
    trigger: 'scheduled',
    dryRun: false,
    advancesWindow: true,
    startedAt: now,
    leaseExpiresAt: now + 60_000,
  };
}

function finish(instance: Instance, id: string, now: number): Promise<void> {
  return instance.repository.finish(id, {
    status: 'completed',
    finishedAt: now,
    eventsReviewed: 0,
    counts: {},
    measures: [],
  });
}

/** Windows in claim order: each starts where the previous one ended, none runs backwards. */
function expectContiguous(windows: ReviewWindow[], first: string): void {
  let previousEnd = first;
  for (const window of windows) {
    expect(window.from).toBe(previousEnd);
    expect(window.from <= window.to).toBe(true);
    previousEnd = window.to;
  }
}

const dialects: [string, () => Promise<SharedDatabase>, boolean][] = [
  ['sqlite', sharedSqlite, true],
  ['postgres', sharedPostgres, Boolean(postgresUrl)],
];

for (const [name, open, enabled] of dialects) {
  const label = enabled
    ? `review claims from two instances [${name}]`
    : `review claims from two instances [${name}: skipped, TEST_POSTGRES_URL not set]`;
  (enabled ? describe : describe.skip)(label, () => {
    let shared: SharedDatabase;
    beforeEach(async () => {
      shared = await open();
    });
    afterEach(async () => {
      await shared.close();
    });

    it('starts the scheduled window at the first event, then where the last scheduled-style run ended', async () => {
      const [a] = shared.instances;
      const claimAt = async (claim: NewRun, now: number) => {
        const window = await a.repository.claim(claim, now);
        await finish(a, claim.id, now);
        return window;
      };
      // No event, no earlier run: an empty window at now.
      expect(await claimAt(scheduled(BASE), BASE)).toEqual({
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-03-01T00:00:00.000Z',
      });
      await a.connection.db.deleteFrom('review_runs').execute();
      await a.connection.db
        .insertInto('audit_events')
        .values({
          ts: '2026-02-27T10:00:00.000Z',
          type: 'authn_login_fail',
          level: 'WARN',
          outcome: 'failure',
          username: 'alice',
          user_id: null,
          reason: 'bad_password',
          ip: '203.0.113.5',
          user_agent: 'ua',
          request_id: 'r-1',
          method: 'POST',
          path: '/auth/login',
          session_ref: null,
          details: null,
        })
        .execute();
      expect(await claimAt(scheduled(BASE), BASE)).toEqual({
        from: '2026-02-27T10:00:00.000Z',
        to: '2026-03-01T00:00:00.000Z',
      });
      // An explicit window reaching far ahead, and a dry run, move nothing.
      const explicit = {
        ...scheduled(BASE + 1000),
        windowFrom: '2026-02-01T00:00:00.000Z',
        windowTo: '2026-03-01T00:00:01.000Z',
        advancesWindow: false,
      };
      expect(await claimAt(explicit, BASE + 1000)).toEqual({
        from: '2026-02-01T00:00:00.000Z',
        to: '2026-03-01T00:00:01.000Z',
      });
      expect(
        await claimAt(
          { ...scheduled(BASE + 2000), dryRun: true, advancesWindow: false },
          BASE + 2000,
        ),
      ).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-01T00:00:02.000Z' });
      expect(await claimAt(scheduled(BASE + 3000), BASE + 3000)).toEqual({
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-03-01T00:00:03.000Z',
      });
      // A failed run moves nothing either; a clock that went back gives an empty window.
      const failed = scheduled(BASE + 4000);
      await a.repository.claim(failed, BASE + 4000);
      await a.repository.finish(failed.id, {
        status: 'failed',
        finishedAt: BASE + 4000,
        eventsReviewed: 0,
        counts: {},
        measures: [],
      });
      expect(await claimAt(scheduled(BASE + 2500), BASE + 2500)).toEqual({
        from: '2026-03-01T00:00:02.500Z',
        to: '2026-03-01T00:00:02.500Z',
      });
    });

    it('marks the existing scheduled-style runs when it adds advances_window (migration 0004)', async () => {
      const db = shared.instances[0].connection.db;
      const schema = isPostgres(db as unknown as Kysely<unknown>)
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
            .schema
        : undefined;
      const migrator = new Migrator({
        db,
        provider: new StaticMigrationProvider(),
        migrationTableSchema: schema,
      });
      // Back to just before 0004 (later migrations, if any, go down and up again with it).
      const names = Object.keys(await new StaticMigrationProvider().getMigrations()).sort();
      const before = names[names.indexOf('0004_review_window_advance') - 1];
      const down = await migrator.migrateTo(before);
      expect(down.error).toBeUndefined();
      expect(down.results?.map((r) => r.migrationName)).toContain('0004_review_window_advance');
      const row = (id: string, startedAt: number, windowTo: string, dryRun = 0) =>
        sql`insert into review_runs (id, window_from, window_to, status, trigger, dry_run, started_at, lease_expires_at, events_reviewed)
            values (${id}, '2026-01-01T00:00:00.000Z', ${windowTo}, 'completed', 'api', ${dryRun}, ${startedAt}, ${startedAt}, 0)`.execute(
          db,
        );
      await row('scheduled', BASE, new Date(BASE).toISOString());
      await row('explicit-future', BASE, '9999-12-31T23:59:59.000Z');
      await row('dry', BASE + 1, new Date(BASE + 1).toISOString(), 1);
      await migrateToLatest(db);
      const marked = await db
        .selectFrom('review_runs')
        .select(['id', 'advances_window'])
        .orderBy('id')
        .execute();
      expect(marked.map((r) => [r.id, Number(r.advances_window)])).toEqual([
        ['dry', 0],
        ['explicit-future', 0],
        ['scheduled', 1],
      ]);
      expect(await shared.instances[0].repository.lastReviewedThrough()).toBe(
        new Date(BASE).toISOString(),
      );
    });

    it('lets exactly one of two concurrent claims win, round after round, with windows that never overlap', async () => {
      const [a, b] = shared.instances;
      const windows: ReviewWindow[] = [];
      for (let round = 1; round <= 60; round += 1) {
        const now = BASE + round * 1000;
        const claims = [scheduled(now), scheduled(now)];
        const results = await Promise.all([
          a.repository.claim(claims[0], now),
          b.repository.claim(claims[1], now),
        ]);
        const winners = results.flatMap((window, i) => (window ? [{ window, i }] : []));
        expect(winners).toHaveLength(1);
        windows.push(winners[0].window);
        await finish(shared.instances[winners[0].i], claims[winners[0].i].id, now);
      }
      expectContiguous(windows, new Date(BASE + 1000).toISOString());
      const runs = await a.connection.db
        .selectFrom('review_runs')
        .select('status')
        .where('status', '!=', 'completed')
        .execute();
      expect(runs).toEqual([]);
    });

    it('never claims an overlapping window while the previous run finishes concurrently', async () => {
      // The race of issue 10 item 20: a run finishing while the next two claims read where it
      // ended. A claim may lose to the finishing run (409) but must never start before its end.
      const [a, b] = shared.instances;
      const windows: ReviewWindow[] = [];
      let running: { instance: Instance; id: string } | undefined;
      let now = BASE;
      for (let round = 1; round <= 80; round += 1) {
        now += 1000;
        const claims = [scheduled(now), scheduled(now)];
        const finishing = running ? finish(running.instance, running.id, now) : Promise.resolve();
        const [, first, second] = await Promise.all([
          finishing,
          a.repository.claim(claims[0], now),
          b.repository.claim(claims[1], now),
        ]);
        const results = [first, second];
        const winners = results.flatMap((window, i) => (window ? [{ window, i }] : []));
        expect(winners.length).toBeLessThanOrEqual(1);
        running = undefined;
        if (winners[0]) {
          windows.push(winners[0].window);
          running = { instance: shared.instances[winners[0].i], id: claims[winners[0].i].id };
        }
      }
      if (running) await finish(running.instance, running.id, now);
      expect(windows.length).toBeGreaterThan(10);
      expectContiguous(windows, new Date(BASE + 1000).toISOString());
    });
  });
}
