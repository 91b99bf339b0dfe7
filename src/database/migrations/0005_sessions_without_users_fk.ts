import { Kysely, sql } from 'kysely';
import { bigintType, isPostgres } from '../dialect';

/**
 * Sessions no longer reference Gatehouse's own `users` table, so a host's user store (LDAP,
 * its own table) can log in: `user_id` is the id the store gave. Deleting a user never
 * happens through the API (accounts are disabled, which revokes their sessions).
 * PostgreSQL drops the constraint; SQLite cannot, so the table is rebuilt without it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_user_id_fkey`.execute(db);
    return;
  }
  await rebuildSessions(db, false);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`.execute(
      db,
    );
    return;
  }
  await rebuildSessions(db, true);
}

/** The SQLite way to change a constraint: a new table, a copy, a swap, then the indexes. */
async function rebuildSessions(db: Kysely<unknown>, withUsersFk: boolean): Promise<void> {
  const bigint = bigintType(db);
  await db.schema
    .createTable('sessions_rebuilt')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) =>
      withUsersFk ? col.notNull().references('users.id').onDelete('cascade') : col.notNull(),
    )
    .addColumn('created_at', bigint, (col) => col.notNull())
    .addColumn('last_seen_at', bigint, (col) => col.notNull())
    .addColumn('expires_at', bigint, (col) => col.notNull())
    .addColumn('refresh_expires_at', bigint, (col) => col.notNull())
    .addColumn('refresh_hash', 'text', (col) => col.notNull().unique())
    .addColumn('refresh_generation', 'integer', (col) => col.notNull())
    .addColumn('refresh_salt', 'text', (col) => col.notNull())
    .addColumn('previous_refresh_hash', 'text')
    .addColumn('rotated_at', bigint)
    .addColumn('revoked_at', bigint)
    .addColumn('revoked_reason', 'text')
    .addColumn('ip', 'text', (col) => col.notNull())
    .addColumn('user_agent', 'text', (col) => col.notNull())
    .execute();
  await sql`INSERT INTO sessions_rebuilt SELECT id, user_id, created_at, last_seen_at, expires_at,
    refresh_expires_at, refresh_hash, refresh_generation, refresh_salt, previous_refresh_hash,
    rotated_at, revoked_at, revoked_reason, ip, user_agent FROM sessions`.execute(db);
  await db.schema.dropTable('sessions').execute();
  await db.schema.alterTable('sessions_rebuilt').renameTo('sessions').execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  await db.schema
    .createIndex('sessions_previous_refresh_idx')
    .on('sessions')
    .column('previous_refresh_hash')
    .execute();
}
