import Sqlite from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Pool } from 'pg';
import { createPostgresSchema, postgresUrl } from './support/database';
import { isolatedEnv, ServerProcess, startServer } from './support/process';

/**
 * DESIGN.md "The audit trail": a login answers only after its event is committed, so a
 * process killed with -9 at any moment has every answered attempt in the table.
 */
const PASSWORD = 'Durable-Harbour-Lantern-58';
const WORKERS = 16;
const KILL_AFTER_ANSWERS = 120;

interface Attempt {
  requestId: string;
  body: { username: string; password: string };
}

function attempt(n: number): Attempt {
  const kind = n % 3;
  const body =
    kind === 0
      ? { username: 'alice', password: PASSWORD }
      : kind === 1
        ? { username: 'alice', password: `wrong-${n}` }
        : { username: `ghost-${n}`, password: `wrong-${n}` };
  return { requestId: `kill9-${n}`, body };
}

interface AuditRow {
  request_id: string;
  path: string;
  type: string;
}

const AUDIT_ROWS_SQL = 'select request_id, path, type from audit_events';

/** Read straight from the database, as an operator would after the crash. */
async function auditRows(databaseUrl: string): Promise<AuditRow[]> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Sqlite(databaseUrl.slice('sqlite:'.length), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return db.prepare(AUDIT_ROWS_SQL).all() as AuditRow[];
    } finally {
      db.close();
    }
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return (await pool.query<AuditRow>(AUDIT_ROWS_SQL)).rows;
  } finally {
    await pool.end();
  }
}

/**
 * On PostgreSQL every audit insert is made slow (150 ms in a trigger), as on a loaded server:
 * an answer sent before its commit would then be lost by the kill, and this test would see it.
 */
async function slowDownAuditInserts(databaseUrl: string): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await pool.query(`
      create function slow_audit_insert() returns trigger language plpgsql as $$
      begin perform pg_sleep(0.15); return new; end $$;
      create trigger slow_audit_insert before insert on audit_events
        for each row execute function slow_audit_insert();
    `);
  } finally {
    await pool.end();
  }
}

// SQLite always; PostgreSQL too when TEST_POSTGRES_URL is set.
const dialects = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

describe.each(dialects)('audit durability: kill -9 under concurrent logins [%s]', (dialect) => {
  let server: ServerProcess | undefined;
  let dropSchema: (() => Promise<void>) | undefined;
  let instanceDir: string | undefined;

  afterEach(async () => {
    await server?.stop('SIGKILL');
    await dropSchema?.();
    if (instanceDir) rmSync(instanceDir, { recursive: true, force: true });
  });

  it('has every answered login in audit_events after a kill -9 and a restart', async () => {
    const extra: Record<string, string> = {};
    if (dialect === 'postgres') {
      const schema = await createPostgresSchema();
      dropSchema = schema.drop;
      extra.DATABASE_URL = schema.url;
    }
    const env = isolatedEnv({
      ...extra,
      BOOTSTRAP_ADMIN_USERNAME: 'alice',
      BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'warn',
      // Throttling is not under test here: every attempt reaches the credential check.
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOGIN_PAIR_MAX_FAILURES: '1000',
      LOGIN_USER_MAX_FAILURES: '100000',
      LOGIN_IP_MAX_FAILURES: '1000000',
    });
    instanceDir = dirname(env.DATA_DIR);
    const running = await startServer(env);
    server = running;
    if (dialect === 'postgres') await slowDownAuditInserts(env.DATABASE_URL);

    const answered = new Map<string, number>();
    let inFlight = 0;
    let inFlightAtKill = -1;
    let next = 0;
    let killed = false;
    const statuses = new Set<number>();
    const wrongEcho: string[] = [];

    const worker = async (): Promise<void> => {
      while (!killed) {
        const { requestId, body } = attempt(next++);
        inFlight++;
        try {
          const response = await fetch(`${running.url}/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': requestId },
            body: JSON.stringify(body),
          });
          // The status line is the answer: from here on the client knows the outcome.
          answered.set(requestId, response.status);
          statuses.add(response.status);
          if (response.headers.get('x-request-id') !== requestId) wrongEcho.push(requestId);
          await response.arrayBuffer().catch(() => undefined);
        } catch {
          // Cut off by the kill: no answer, so no promise was made about this attempt.
        } finally {
          inFlight--;
        }
        if (!killed && answered.size >= KILL_AFTER_ANSWERS) {
          killed = true;
          inFlightAtKill = inFlight;
          running.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, () => worker()));
    const ended = await running.stop('SIGKILL');
    expect(ended.signal).toBe('SIGKILL');
    // The kill landed mid-load: other logins were still being served.
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect([...statuses].sort()).toEqual([200, 401]);
    expect(wrongEcho).toEqual([]);

    // The server starts again on the same file (WAL recovery) and serves.
    server = await startServer(env);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);

    const rows = await auditRows(env.DATABASE_URL);
    const loginRows = rows.filter(
      (row) => row.path === '/auth/login' && row.request_id.startsWith('kill9-'),
    );
    const byRequest = new Map<string, number>();
    for (const row of loginRows)
      byRequest.set(row.request_id, (byRequest.get(row.request_id) ?? 0) + 1);

    const missing = [...answered.keys()].filter((requestId) => !byRequest.has(requestId));
    expect(missing).toEqual([]);
    // One event per attempt; at most the attempts cut off mid-answer add rows nobody saw.
    expect([...byRequest.values()].every((count) => count === 1)).toBe(true);
    expect(loginRows.length).toBeGreaterThanOrEqual(answered.size);
    expect(loginRows.length).toBeLessThanOrEqual(next);
    for (const row of loginRows) {
      const status = answered.get(row.request_id);
      if (status === 200) expect(row.type).toMatch(/^authn_login_success/);
      if (status === 401) expect(row.type).toBe('authn_login_fail');
    }
  }, 120_000);
});
