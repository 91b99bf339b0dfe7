import type Sqlite from 'better-sqlite3';
import { Kysely, MigrationResultSet, Migrator, sql, SqliteDialect } from 'kysely';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as Pg from 'pg';
import { CurrentSchemaPostgresDialect } from './current-schema.introspector';
import type { DB } from './database.types';
import { isPostgres } from './dialect';
import { FailFastPool } from './fail-fast.pool';
import { loadDriver } from './optional-driver';
import { StaticMigrationProvider } from './migrations';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** `sqlite:<file>` (or `sqlite::memory:`) or `postgres://…`. */
  url: string;
  /** Upper bound for waiting on a connection, a lock or a statement. */
  timeoutMs: number;
  poolSize: number;
  /** Where the pool reports a failure that no query is waiting for. */
  onPoolError?: (error: Error) => void;
}

export interface DatabaseConnection {
  db: Kysely<DB>;
  kind: DatabaseKind;
  /** The better-sqlite3 handle behind `db` on SQLite (see `DatabaseInfo.sqlite`). */
  sqlite?: Sqlite.Database;
  close(): Promise<void>;
}

// int8 (counts, ids, epoch milliseconds) would come back as strings; every such value here
// stays far below 2^53, so numbers are exact.
const INT8_OID = 20;
function pgTypeParsers(pgTypes: typeof Pg.types): Pick<typeof Pg.types, 'getTypeParser'> {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
      oid === INT8_OID
        ? (value: string) => Number(value)
        : (pgTypes.getTypeParser as (oid: number, format?: string) => unknown)(
            oid,
            format,
          )) as typeof pgTypes.getTypeParser,
  };
}

/** `application_name` of the service's PostgreSQL sessions unless DATABASE_URL sets one. */
export const DEFAULT_APPLICATION_NAME = 'gatehouse';

export function databaseKindOf(url: string): DatabaseKind {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

/**
 * The database file is owner-only (0600) wherever DATABASE_URL puts it (API.md, Files and
 * secrets): it holds password hashes and personal data. SQLite would create it 0644 (less the
 * umask); made here first, it is created 0600, and SQLite gives its `-wal` and `-shm` files the
 * mode of the database file. Files left by an older version are tightened too.
 */
function makeOwnerOnly(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

function openSqlite(url: string, options: DatabaseOptions): DatabaseConnection {
  const file = url.slice('sqlite:'.length);
  // A new data folder is private: it holds password hashes and, in development, secrets.
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    makeOwnerOnly(file);
  }
  const Database = loadDriver<typeof Sqlite>('better-sqlite3', url);
  const sqlite = new Database(file, { timeout: options.timeoutMs });
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a killed process (the OS holds the write); see docs/security.md.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.timeoutMs)}`);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    kind: 'sqlite',
    sqlite,
    close: async () => {
      if (sqlite.open && file !== ':memory:') sqlite.pragma('wal_checkpoint(TRUNCATE)');
      await db.destroy();
    },
  };
}

function openPostgres(url: string, options: DatabaseOptions): DatabaseConnection {
  const { Pool, types } = loadDriver<typeof Pg>('pg', url);
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    idleTimeoutMillis: 30_000,
    // Names the service's sessions in pg_stat_activity (an `application_name` in the URL wins).
    application_name: DEFAULT_APPLICATION_NAME,
    types: pgTypeParsers(types),
  });
  // An idle client losing its server emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  // A checked-out client has no pool listener: pg-pool removes its idle listener on checkout, so
  // a backend terminated mid-query (pg_terminate_backend, a fail-over, a reset link) emitted an
  // unhandled 'error' and ended the process. Every client keeps a listener for its whole life.
  // The error still fails the query in flight (pg rejects it first, then emits), which answers
  // 503, and the client, no longer queryable, is dropped by the pool when Kysely releases it.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onPoolError?.(error));
  });
  // Bounded by DB_TIMEOUT_MS once per request, not once per query, while PostgreSQL is away.
  const failFast = new FailFastPool(pool, options.timeoutMs);
  // Introspection (the migrator's) sees this schema only; see CurrentSchemaIntrospector.
  const db = new Kysely<DB>({ dialect: new CurrentSchemaPostgresDialect({ pool: failFast }) });
  return { db, kind: 'postgres', close: () => db.destroy() };
}

export function openDatabase(options: DatabaseOptions): DatabaseConnection {
  return databaseKindOf(options.url) === 'sqlite'
    ? openSqlite(options.url, options)
    : openPostgres(options.url, options);
}

/**
 * On PostgreSQL, Kysely's bookkeeping tables must be looked up in the schema we migrate:
 * without a schema, Kysely believes they exist as soon as ANY schema of the database has them
 * (another deployment, another app, a parallel test), skips creating them, and fails.
 */
async function migrationTableSchema(db: Kysely<DB>): Promise<string | undefined> {
  if (!isPostgres(db as unknown as Kysely<unknown>)) return undefined;
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return result.rows[0]?.schema;
}

export interface MigrationProgress {
  applied: number;
  /** Migrations pending when the command started. */
  total: number;
  /** The migration under way; absent once all are applied. */
  running?: string;
}

/**
 * Applies the pending migrations. With `onProgress` (`gatehouse db:migrate`), one at a time,
 * so the bar can say which one runs: a migration over a large table (0006 fills its rollup
 * from every event) is one statement, so the unit of progress is the migration.
 */
export async function migrateToLatest(
  db: Kysely<DB>,
  onProgress?: (progress: MigrationProgress) => void,
): Promise<string[]> {
  const migrator = await migratorFor(db);
  if (!onProgress) return migrationNames(await migrator.migrateToLatest());
  const pending = (await migrator.getMigrations())
    .filter((migration) => migration.executedAt === undefined)
    .map((migration) => migration.name);
  const applied: string[] = [];
  for (;;) {
    onProgress({
      applied: applied.length,
      total: pending.length,
      running: pending[applied.length],
    });
    const step = migrationNames(await migrator.migrateUp());
    if (step.length === 0) return applied;
    applied.push(...step);
  }
}

/** Migrates up to and including `name` (tests of a migration on an older schema use this). */
export async function migrateUpTo(db: Kysely<DB>, name: string): Promise<string[]> {
  const migrator = await migratorFor(db);
  return migrationNames(await migrator.migrateTo(name));
}

async function migratorFor(db: Kysely<DB>): Promise<Migrator> {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    migrationTableSchema: await migrationTableSchema(db),
  });
}

function migrationNames({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    const message = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${message}`);
  }
  return (results ?? []).map((result) => result.migrationName);
}
