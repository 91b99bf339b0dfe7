import { randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { DB, DatabaseConnection, migrateToLatest, openDatabase } from '../../src/database';

export interface TestDialect {
  name: 'sqlite' | 'postgres';
  /** Creates an empty, migrated database of this dialect; `drop()` removes every trace. */
  create(): Promise<TestDatabase>;
}

export interface TestDatabase {
  url: string;
  db: Kysely<DB>;
  connection: DatabaseConnection;
  drop(): Promise<void>;
}

export const postgresUrl = process.env.TEST_POSTGRES_URL;

/** A fresh PostgreSQL schema; the returned URL pins `search_path` to it. */
export async function createPostgresSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!postgresUrl) throw new Error('TEST_POSTGRES_URL is not set');
  const schema = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = new Pool({ connectionString: postgresUrl, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const separator = postgresUrl.includes('?') ? '&' : '?';
  const url = `${postgresUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

async function open(url: string, dropExtra: () => Promise<void>): Promise<TestDatabase> {
  const connection = openDatabase({ url, timeoutMs: 5000, poolSize: 4 });
  await migrateToLatest(connection.db);
  return {
    url,
    db: connection.db,
    connection,
    drop: async () => {
      await connection.close();
      await dropExtra();
    },
  };
}

const sqliteDialect: TestDialect = {
  name: 'sqlite',
  create: () => open('sqlite::memory:', () => Promise.resolve()),
};

const postgresDialect: TestDialect = {
  name: 'postgres',
  create: async () => {
    const schema = await createPostgresSchema();
    return open(schema.url, schema.drop);
  },
};

/**
 * Runs the same repository spec on SQLite and, when TEST_POSTGRES_URL is set, on PostgreSQL.
 * Without it the PostgreSQL block is reported as skipped, never silently dropped.
 */
export function describeEachDialect(
  title: string,
  body: (getDb: () => TestDatabase) => void,
): void {
  for (const dialect of [sqliteDialect, postgresDialect]) {
    const enabled = dialect.name === 'sqlite' || Boolean(postgresUrl);
    const label = enabled
      ? `${title} [${dialect.name}]`
      : `${title} [${dialect.name}: skipped, TEST_POSTGRES_URL not set]`;
    (enabled ? describe : describe.skip)(label, () => {
      let database: TestDatabase;
      beforeAll(async () => {
        database = await dialect.create();
      });
      afterAll(async () => {
        await database?.drop();
      });
      body(() => database);
    });
  }
}

export async function truncateAll(db: Kysely<DB>): Promise<void> {
  for (const table of [
    'review_findings',
    'review_runs',
    'audit_seals',
    'blocks',
    'audit_events',
    'audit_login_stats',
    'login_known_ips',
    'login_throttle',
    'sessions',
    'users',
  ] as const) {
    await db.deleteFrom(table).execute();
  }
  // The seal chain's head back to its state after migration 0003 (one unanchored row).
  await db.deleteFrom('audit_seal_head').execute();
  await db
    .insertInto('audit_seal_head')
    .values({ id: 1, seal_count: 0, last_hash: '0'.repeat(64), mac: null, updated_at: 0 })
    .execute();
}
