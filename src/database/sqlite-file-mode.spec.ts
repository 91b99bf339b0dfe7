import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from './database.factory';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('SQLite file modes wherever DATABASE_URL points (issue 10 item 15)', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gh-sqlite-mode-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the database, its -wal and -shm 0600, and new folders 0700, outside ./data', async () => {
    const file = join(root, 'elsewhere', 'deeper', 'gatehouse.db');
    const connection = openDatabase({ url: `sqlite:${file}`, timeoutMs: 5000, poolSize: 1 });
    try {
      await migrateToLatest(connection.db);
      await sql`insert into users (id, username, username_normalized, password_hash, roles, disabled, created_at, updated_at, password_changed_at) values ('u1', 'a', 'a', 'h', 'user', 0, 1, 1, 1)`.execute(
        connection.db,
      );
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-shm`)).toBe(0o600);
      expect(modeOf(join(root, 'elsewhere'))).toBe(0o700);
      expect(modeOf(join(root, 'elsewhere', 'deeper'))).toBe(0o700);
    } finally {
      await connection.close();
    }
  });

  it('tightens a database file an older version left world-readable', async () => {
    const file = join(root, 'old.db');
    writeFileSync(file, '', { mode: 0o644 });
    writeFileSync(`${file}-wal`, '', { mode: 0o644 });
    const connection = openDatabase({ url: `sqlite:${file}`, timeoutMs: 5000, poolSize: 1 });
    try {
      await migrateToLatest(connection.db);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-shm`)).toBe(0o600);
    } finally {
      await connection.close();
    }
  });
});
