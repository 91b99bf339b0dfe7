import { Kysely, sql } from 'kysely';
import { bigintType } from '../dialect';

/**
 * Seal format 2 (issue 10, items 2 and 3). Every field that decides how a seal is verified is
 * now inside its MAC: its place in the chain (`seq`), its first and last event (id and ts),
 * its window end, and the digest of its events (kept apart so a seal whose events were pruned
 * still proves its own fields). Rows written before this migration keep `format = 1` until
 * the service re-seals them (it needs the key, which a migration never sees).
 *
 * `audit_seal_head` anchors the head of the chain: one row, whose MAC covers the number of
 * seals and the last seal's hash. This migration creates it unanchored (`mac` null); the
 * service anchors it on start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const bigint = bigintType(db);
  // One column per statement: SQLite's ALTER TABLE adds a single column.
  await db.schema
    .alterTable('audit_seals')
    .addColumn('format', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('audit_seals').addColumn('seq', bigint).execute();
  await db.schema.alterTable('audit_seals').addColumn('last_event_ts', 'text').execute();
  await db.schema.alterTable('audit_seals').addColumn('events_digest', 'text').execute();
  await db.schema
    .createTable('audit_seal_head')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('seal_count', bigint, (col) => col.notNull())
    .addColumn('last_hash', 'text', (col) => col.notNull())
    .addColumn('mac', 'text')
    .addColumn('updated_at', bigint, (col) => col.notNull())
    .execute();
  await sql`insert into audit_seal_head (id, seal_count, last_hash, mac, updated_at) values (1, 0, ${'0'.repeat(64)}, null, 0)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_seal_head').ifExists().execute();
  for (const column of ['events_digest', 'last_event_ts', 'seq', 'format']) {
    await db.schema.alterTable('audit_seals').dropColumn(column).execute();
  }
}
