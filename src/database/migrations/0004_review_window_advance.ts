import { Kysely, sql } from 'kysely';

/**
 * Which runs move the start of the next scheduled window (issue 10, item 4): only
 * scheduled-style runs (no explicit window, not a dry run). Before this column every
 * completed non-dry run did, so one explicit window ending in 9999 silenced every later
 * review. Existing rows are marked by the one trait a scheduled-style run always had: its
 * window ended at its own start time (`to` defaulted to now). An explicit window that ends
 * exactly at the millisecond its run started is the only false positive, and it is harmless.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('review_runs')
    .addColumn('advances_window', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  const rows = await sql<{
    id: string;
    started_at: number | string;
    window_to: string;
  }>`select id, started_at, window_to from review_runs where dry_run = 0`.execute(db);
  for (const row of rows.rows) {
    if (new Date(Number(row.started_at)).toISOString() !== row.window_to) continue;
    await sql`update review_runs set advances_window = 1 where id = ${row.id}`.execute(db);
  }
  await db.schema
    .createIndex('review_runs_advance_idx')
    .on('review_runs')
    .columns(['advances_window', 'status', 'window_to'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('review_runs_advance_idx').ifExists().execute();
  await db.schema.alterTable('review_runs').dropColumn('advances_window').execute();
}
