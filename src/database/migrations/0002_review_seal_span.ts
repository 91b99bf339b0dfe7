import { Kysely } from 'kysely';

/**
 * The time of a seal's oldest event. Retention pruning removes events by age, so a seal
 * whose oldest event is past the retention cannot be recomputed any more; `verify` reports
 * it as retired instead of broken, and checks every younger seal in full.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_seals').addColumn('first_event_ts', 'text').execute();
  await db.schema
    .createIndex('audit_seals_last_event_idx')
    .on('audit_seals')
    .column('last_event_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_seals_last_event_idx').ifExists().execute();
  await db.schema.alterTable('audit_seals').dropColumn('first_event_ts').execute();
}
