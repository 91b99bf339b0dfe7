import Sqlite from 'better-sqlite3';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventScript } from './support/review-events';
import { emptyDir, isolatedEnv, runCli } from './support/process';

// Only NODE_ENV=production and no secret at all: help, version, usage errors and the
// offline review must not need one, and (run in an empty folder) must create no file.
const BARE_PRODUCTION = { NODE_ENV: 'production' };
const PASSWORD = 'violet-harbour-tractor-91';

describe('gatehouse: help, version and usage errors (e2e)', () => {
  it.each([['--help'], ['-h'], ['users:list', '--help'], ['audit:review', '--help']])(
    '%s %s exits 0 with the gatehouse usage, no secret and no file',
    (...args: string[]) => {
      const cwd = emptyDir();
      const result = runCli(args.filter(Boolean), BARE_PRODUCTION, '', cwd);
      expect([result.status, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toMatch(/^Usage: gatehouse /);
      expect(result.stdout).not.toMatch(/\bcli\b|outputHelp/);
      expect(readdirSync(cwd)).toEqual([]);
    },
  );

  it('--version prints the package version and exits 0', () => {
    const cwd = emptyDir();
    const result = runCli(['--version'], BARE_PRODUCTION, '', cwd);
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect([result.status, result.stdout, result.stderr]).toEqual([0, `${pkg.version}\n`, '']);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it.each([
    [[], 'gatehouse: no command given'],
    [['nope'], "gatehouse: unknown command 'nope'"],
    [['users:list', '--bogus'], "gatehouse: unknown option '--bogus'"],
    [['audit:prune', '--days', '0'], 'gatehouse: --days must be a whole number from 1 to 3650'],
    [['audit:review', '--limit', 'many'], 'gatehouse: --limit must be a whole number'],
    [['users:roles'], "gatehouse: missing required argument 'username'"],
  ])('%j exits 2 with one line, then the usage', (args, line) => {
    const cwd = emptyDir();
    const result = runCli(args, BARE_PRODUCTION, '', cwd);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    const [first, ...rest] = result.stderr.split('\n');
    expect(first.startsWith(line)).toBe(true);
    expect(rest.join('\n')).toMatch(/Usage: gatehouse/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('still needs the secrets for a command that runs', () => {
    const result = runCli(['users:list'], BARE_PRODUCTION, '', emptyDir());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('JWT_SECRET is required');
  });
});

describe('gatehouse: admin parity and exit codes (e2e)', () => {
  const env = isolatedEnv();
  const db = (): Sqlite.Database => new Sqlite(env.DATABASE_URL.slice('sqlite:'.length));
  const auditTypes = (): string[] => {
    const sqlite = db();
    try {
      return (
        sqlite.prepare('SELECT type FROM audit_events ORDER BY id').all() as { type: string }[]
      ).map((row) => row.type);
    } finally {
      sqlite.close();
    }
  };

  beforeAll(() => {
    for (const [username, roles] of [
      ['ada', 'admin'],
      ['bob', 'user'],
    ]) {
      const created = runCli(
        ['users:create', '-u', username, '-r', roles, '--json'],
        env,
        PASSWORD,
      );
      expect([created.status, created.stderr]).toEqual([0, '']);
    }
  });

  it('users:roles changes roles like PATCH /users/{id}, audited, and refuses unknown roles with 2', () => {
    const changed = runCli(['users:roles', 'bob', 'admin', 'user', '--json'], env);
    expect([changed.status, changed.stderr]).toEqual([0, '']);
    expect(JSON.parse(changed.stdout)).toMatchObject({ username: 'bob', roles: ['admin', 'user'] });
    expect(auditTypes()).toContain('user_updated');
    const human = runCli(['users:roles', 'bob', 'user'], env);
    expect(human.stdout).toMatch(/^Updated bob \(roles user; id /);
    const unknown = runCli(['users:roles', 'bob', 'root'], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe('gatehouse: unknown role "root" (use admin, user)');
    const nobody = runCli(['users:roles', 'zed', 'user'], env);
    expect([nobody.status, nobody.stderr]).toEqual([1, 'gatehouse: no user named "zed"\n']);
  });

  it('users:unlock unlocks like POST /users/{id}/unlock, audited', () => {
    const before = auditTypes().filter((type) => type === 'user_unlocked').length;
    const unlocked = runCli(['users:unlock', 'bob'], env);
    expect([unlocked.status, unlocked.stdout, unlocked.stderr]).toEqual([0, 'Unlocked bob\n', '']);
    expect(auditTypes().filter((type) => type === 'user_unlocked')).toHaveLength(before + 1);
  });

  it('blocks:list and blocks:lift show and lift blocks like /audit/blocks, audited', () => {
    const sqlite = db();
    const now = Date.now();
    sqlite
      .prepare(
        'INSERT INTO blocks (id, kind, subject, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('blk-1', 'ip', '203.0.113.9', 'brute-force', now, now + 3_600_000);
    sqlite.close();
    const table = runCli(['blocks:list'], env);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^ID +KIND +SUBJECT +EXPIRES +REASON\nblk-1 +ip +203\.0\.113\.9 /);
    const listed = runCli(['blocks:list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      items: [{ id: 'blk-1', kind: 'ip', subject: '203.0.113.9' }],
    });
    const lifted = runCli(['blocks:lift', 'blk-1', '--json'], env);
    expect([lifted.status, lifted.stderr]).toEqual([0, '']);
    expect(JSON.parse(lifted.stdout)).toMatchObject({ lifted: { id: 'blk-1' } });
    expect(auditTypes()).toContain('ip_unblocked');
    expect(runCli(['blocks:list'], env).stdout).toBe('No blocks in force.\n');
    const again = runCli(['blocks:lift', 'blk-1'], env);
    expect([again.status, again.stderr]).toEqual([
      1,
      'gatehouse: no block in force with id "blk-1"\n',
    ]);
  });

  it('audit:verify exits 0 on an intact trail and 3 on a broken seal, --json on stdout', () => {
    const review = runCli(['audit:review', '--json'], env);
    expect(review.status).toBe(0);
    // stderr is a pipe: only the plain progress lines, the last at 100%; stdout is the JSON.
    expect(review.stderr).toMatch(
      /^(Reviewing: \d+%, .*\n)*Reviewing: 100%, ([\d,]+)\/\2 events, .*\n$/,
    );
    const run = JSON.parse(review.stdout) as { status: string; seal: { id: number } | null };
    expect(run.status).toBe('completed');
    expect(run.seal).not.toBeNull();
    const intact = runCli(['audit:verify', '--json'], env);
    expect(intact.status).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true });

    const sqlite = db();
    sqlite.prepare("UPDATE audit_events SET username = 'mallory' WHERE id = 1").run();
    sqlite.close();
    const broken = runCli(['audit:verify', '--json'], env);
    expect(broken.status).toBe(3);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false });
    expect(runCli(['audit:verify'], env).stdout).toMatch(/^BROKEN: seal #/);
  });
});

describe('gatehouse audit:review --file (e2e)', () => {
  function bruteForceFile(dir: string): string {
    const script = new EventScript('2026-04-01T08:00:00.000Z');
    for (let i = 0; i < 30; i += 1) script.fail('victim', '198.51.100.7', 'bad_password', 500);
    for (let i = 0; i < 10; i += 1) script.succeed(`user${i}`, `192.0.2.${i + 1}`);
    const file = join(dir, 'audit-2026-04-01.jsonl');
    writeFileSync(file, `${script.events.map((event) => JSON.stringify(event)).join('\n')}\n`);
    return file;
  }

  it('needs no database and no secret, prints a summary and writes the server report', () => {
    const cwd = emptyDir();
    const file = bruteForceFile(cwd);
    const result = runCli(
      ['audit:review', '--file', file, '--report', 'out/review.md', '--limit', '1'],
      BARE_PRODUCTION,
      '',
      cwd,
    );
    expect(result.status).toBe(0);
    // Progress by bytes of the file, as plain lines on stderr (a pipe), the last at 100%.
    expect(result.stderr).toMatch(
      /^(Reviewing files: \d+%, .*\n)*Reviewing files: 100%, ([\d.]+ KiB)\/\2, .*\n$/,
    );
    expect(result.stdout).toMatch(/^Offline review of 1 file: 40 events, \d+ findings? /);
    expect(result.stdout).toContain('By rule:');
    expect(result.stdout).toMatch(/\nSEVERITY +RULE +SUBJECT +EVIDENCE\n\S+ +\S+ +\S+ \S+/);
    expect(result.stdout).toContain(`Report: ${join(cwd, 'out', 'review.md')}`);
    // Only what the test wrote and the report: no data/, no secrets.json, no logs/.
    expect(readdirSync(cwd).sort()).toEqual(['audit-2026-04-01.jsonl', 'out']);
    expect(readdirSync(join(cwd, 'out'))).toEqual(['review.md']);
    const report = readFileSync(join(cwd, 'out', 'review.md'), 'utf8');
    expect(report).toMatch(/^# Login review /);
    expect(report).toContain('| Events reviewed | 40 |');

    const json = runCli(['audit:review', '--file', file, '--json'], BARE_PRODUCTION, '', cwd);
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      eventsReviewed: number;
      findings: { rule: string }[];
      counts: { findingsByRule: Record<string, number> };
    };
    expect(parsed.eventsReviewed).toBe(40);
    expect(parsed.findings.map((finding) => finding.rule)).toContain('brute-force');
    expect(parsed.counts.findingsByRule['brute-force']).toBeGreaterThan(0);
  });
});
