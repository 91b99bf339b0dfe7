import Sqlite from 'better-sqlite3';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv, runCli, ServerProcess, startServer } from './support/process';

/**
 * Issue 10 items 12 and 23 on the built server and CLI: the JSON-lines file after a kill -9
 * is completed from the database on the next start, its MAC chain continues, and
 * `gatehouse audit:verify --file` says so (exit 0) or names the broken line (exit 3).
 */
const PASSWORD = 'Chained-Lantern-Harbour-61';

function databaseIds(path: string): number[] {
  const db = new Sqlite(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select id from audit_events order by id').all() as { id: number }[]).map(
      (row) => row.id,
    );
  } finally {
    db.close();
  }
}

/** Rows committed by a process that died before writing them to its file. */
function insertWithoutFile(path: string, count: number): void {
  const db = new Sqlite(path);
  try {
    const insert = db.prepare(
      `insert into audit_events (ts, type, level, outcome, username, reason, ip, user_agent, request_id, method, path)
       values (?, 'authn_login_fail', 'WARN', 'failure', 'alice', 'bad_password', '127.0.0.1', 'e2e', ?, 'POST', '/auth/login')`,
    );
    for (let n = 0; n < count; n += 1) insert.run(new Date().toISOString(), `lost-${n}`);
  } finally {
    db.close();
  }
}

describe('JSON-lines file chain on the built server (e2e)', () => {
  let server: ServerProcess | undefined;

  afterEach(async () => {
    await server?.stop('SIGKILL');
    server = undefined;
  });

  it('completes the file after a kill -9 from the database, continues the chain, and audit:verify --file checks it', async () => {
    const env = isolatedEnv({
      BOOTSTRAP_ADMIN_USERNAME: 'alice',
      BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'warn',
    });
    const dbPath = env.DATABASE_URL.slice('sqlite:'.length);
    const logs = env.AUDIT_LOG_DIR;

    server = await startServer(env);
    for (const password of [PASSWORD, 'wrong-1', 'wrong-2']) {
      const response = await fetch(`${server.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password }),
      });
      await response.arrayBuffer();
    }
    await server.stop('SIGKILL');
    // Committed, answered, and never in the file: what a kill between the two writes leaves.
    insertWithoutFile(dbPath, 3);

    server = await startServer(env);
    await server.stop('SIGTERM');
    server = undefined;

    const files = readdirSync(logs).filter((name) => /^audit-.*\.jsonl$/.test(name));
    expect(files).toHaveLength(1);
    const file = join(logs, files[0]);
    const fileIds = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => (JSON.parse(line) as { id: number }).id);
    // Every event once, in order: the file is the database again.
    expect(fileIds).toEqual(databaseIds(dbPath));

    const ok = runCli(['audit:verify', '--file', logs], env);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^OK: 1 file, \d+ lines verified; tail checked against the database/);
    expect(ok.status).toBe(0);

    // A rewritten username: exit 3, the line named.
    const lines = readFileSync(file, 'utf8').split('\n');
    const target = lines.findIndex((line) => line.includes('"requestId":"lost-1"'));
    lines[target] = lines[target].replace('"username":"alice"', '"username":"mallory"');
    writeFileSync(file, lines.join('\n'));
    const broken = runCli(['audit:verify', '--file', file], env);
    expect(broken.stdout).toContain(`BROKEN: ${file}:${target + 1} edited`);
    expect(broken.status).toBe(3);
  }, 120_000);
});
