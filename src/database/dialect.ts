import { ColumnDefinitionBuilder, Kysely, PostgresAdapter } from 'kysely';

/** Where SQLite and PostgreSQL differ, the difference lives here and in repositories only. */
export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Epoch-millisecond columns: bigint on PostgreSQL, integer (64-bit anyway) on SQLite. */
export function bigintType(db: Kysely<unknown>): 'bigint' | 'integer' {
  return isPostgres(db) ? 'bigint' : 'integer';
}

/** An ever-increasing id (a `bigintType` column): identity on PostgreSQL, AUTOINCREMENT on SQLite. */
export function autoIdConstraint(db: Kysely<unknown>) {
  return (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    isPostgres(db)
      ? col.primaryKey().generatedAlwaysAsIdentity()
      : col.primaryKey().autoIncrement();
}
