import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { Pool } from 'pg';
import { createPostgresSchema, postgresUrl } from './support/database';
import { CLI, ensureBuilt, isolatedEnv, ROOT, runCli } from './support/process';

/*
 * Ctrl-C in the middle of `gatehouse audit:review` (issue 12): the real CLI, a database with
 * enough events that the review takes a while, SIGINT once the progress line shows. The lease
 * is released by the same UPDATE on both dialects, but they reach it differently (better-sqlite3
 * answers synchronously, pg does not), so both run.
 */

jest.setTimeout(240_000);

/*
 * Enough that the review outlasts the signal's way in, even on a quiet machine. SQLite reads
 * faster, and sees the signal only between pages; PostgreSQL is slower per event (and the
 * follow-up review reads the whole window again), so it gets fewer.
 */
const EVENTS = { sqlite: 150_000, postgres: 50_000 };

/** The plain progress line (stderr is a pipe here), the first one once the total is known. */
function firstProgressLine(events: number): RegExp {
  return new RegExp(`^Reviewing: \\d+%, [\\d,]+/${events.toLocaleString('en-US')} events`, 'm');
}

interface Seeded {
  env: Record<string, string>;
  events: number;
  /** The review_runs rows, oldest first. */
  runs(): Promise<{ id: string; status: string; error: string | null; trigger: string }[]>;
  findings(runId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * `count` login events over the last day, one every few hundred milliseconds. The login
 * rollup's trigger is dropped first: it is not under test and would make seeding slow.
 */
function seedSql(count: number, postgres: boolean): string {
  const start = Date.now() - 86_400_000;
  const step = Math.floor(86_000_000 / count);
  const ts = postgres
    ? `to_char(to_timestamp((${start} + i * ${step}) / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : `strftime('%Y-%m-%dT%H:%M:%fZ', (${start} + i * ${step}) / 1000.0, 'unixepoch')`;
  const rows = postgres
    ? `generate_series(1, ${count}) as n(i)`
    : `(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${count}) SELECT i FROM s)`;
  return `INSERT INTO audit_events (ts, type, level, outcome, username, reason, ip, user_agent, request_id, method, path)
    SELECT ${ts},
           CASE WHEN i % 9 = 0 THEN 'authn_login_fail' ELSE 'authn_login_success' END, 'INFO',
           CASE WHEN i % 9 = 0 THEN 'failure' ELSE 'success' END,
           'user' || (i % 700), CASE WHEN i % 9 = 0 THEN 'bad_password' END,
           '10.1.' || (i % 40) || '.7', 'seed', 'seed-' || i, 'POST', '/auth/login'
    FROM ${rows}`;
}

function migrate(env: Record<string, string>): void {
  const result = runCli(['db:migrate', '--json'], env);
  if (result.status !== 0) throw new Error(`db:migrate failed: ${result.stderr}`);
}

async function seedSqlite(): Promise<Seeded> {
  const env = isolatedEnv();
  migrate(env);
  const db = new Sqlite(env.DATABASE_URL.slice('sqlite:'.length));
  db.exec('DROP TRIGGER audit_login_stats_count');
  db.exec(seedSql(EVENTS.sqlite, false));
  return {
    env,
    events: EVENTS.sqlite,
    runs: () =>
      Promise.resolve(
        db
          .prepare('SELECT id, status, error, trigger FROM review_runs ORDER BY started_at')
          .all() as Awaited<ReturnType<Seeded['runs']>>,
      ),
    findings: (runId) =>
      Promise.resolve(
        (
          db.prepare('SELECT count(*) AS n FROM review_findings WHERE run_id = ?').get(runId) as {
            n: number;
          }
        ).n,
      ),
    close: () => Promise.resolve(void db.close()),
  };
}

async function seedPostgres(): Promise<Seeded> {
  const schema = await createPostgresSchema();
  const env = isolatedEnv({ DATABASE_URL: schema.url });
  migrate(env);
  const pool = new Pool({ connectionString: schema.url, max: 1 });
  await pool.query('DROP TRIGGER audit_login_stats_count ON audit_events');
  await pool.query(seedSql(EVENTS.postgres, true));
  return {
    env,
    events: EVENTS.postgres,
    runs: async () =>
      (
        await pool.query<{ id: string; status: string; error: string | null; trigger: string }>(
          'SELECT id, status, error, trigger FROM review_runs ORDER BY started_at',
        )
      ).rows,
    findings: async (runId) =>
      Number(
        (
          await pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM review_findings WHERE run_id = $1',
            [runId],
          )
        ).rows[0].n,
      ),
    close: async () => {
      await pool.end();
      await schema.drop();
    },
  };
}

/** `node dist/cli.js audit:review`, interrupted with SIGINT once its first progress line shows. */
function interruptedReview(
  env: Record<string, string>,
  events: number,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'audit:review'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!interrupted && firstProgressLine(events).test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The follow-up review, without runCli's 30 s bound: the whole window, on a busy machine. */
function reviewToEnd(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'audit:review', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const dialects: [string, () => Promise<Seeded>][] = [['sqlite', seedSqlite]];
if (postgresUrl) dialects.push(['postgres', seedPostgres]);

describe.each(dialects)(
  'gatehouse audit:review interrupted with Ctrl-C (%s, e2e)',
  (_name, seed) => {
    let seeded: Seeded;
    beforeAll(async () => {
      ensureBuilt();
      seeded = await seed();
    });
    afterAll(() => seeded?.close());

    it('exits 130, writes no report, records the run as failed and releases the lease', async () => {
      const interrupted = await interruptedReview(seeded.env, seeded.events);
      expect(interrupted.stderr).toContain('gatehouse: interrupted (SIGINT)');
      expect([interrupted.code, interrupted.signal]).toEqual([130, null]);
      expect(interrupted.stdout).toBe('');
      // No report, not even a temporary file.
      const reportDir = seeded.env.REPORT_DIR;
      expect(existsSync(reportDir) ? readdirSync(reportDir) : []).toEqual([]);

      const [run] = await seeded.runs();
      expect(run).toMatchObject({
        status: 'failed',
        error: 'interrupted (SIGINT)',
        trigger: 'cli',
      });
      expect(await seeded.findings(run.id)).toBe(0);

      // The lease is free at once: the next review claims (no 409) and reviews the whole
      // window, since the interrupted run did not move the scheduled start.
      const next = await reviewToEnd(seeded.env);
      expect([
        next.code,
        next.stderr.split('\n').filter((line) => !line.startsWith('Reviewing')),
      ]).toEqual([0, ['']]);
      const view = JSON.parse(next.stdout) as {
        id: string;
        status: string;
        eventsReviewed: number;
        reportPath: string | null;
      };
      expect(view).toMatchObject({ status: 'completed', eventsReviewed: seeded.events });
      expect(view.reportPath).not.toBeNull();
      expect(readdirSync(reportDir)).toEqual([`review-${view.id}.md`]);
      const runs = await seeded.runs();
      expect(runs.map((row) => row.status)).toEqual(['failed', 'completed']);
    });
  },
);
