import { Kysely } from 'kysely';
import { autoIdConstraint, bigintType } from '../dialect';

// The first schema for every feature; later changes get their own numbered files.
export async function up(db: Kysely<unknown>): Promise<void> {
  const bigint = bigintType(db);

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('username_normalized', 'text', (col) => col.notNull().unique())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('roles', 'text', (col) => col.notNull())
    .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', bigint, (col) => col.notNull())
    .addColumn('updated_at', bigint, (col) => col.notNull())
    .addColumn('password_changed_at', bigint, (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('users_created_idx')
    .on('users')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
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
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  await db.schema
    .createIndex('sessions_previous_refresh_idx')
    .on('sessions')
    .column('previous_refresh_hash')
    .execute();

  await db.schema
    .createTable('login_throttle')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .addColumn('window_started_at', bigint, (col) => col.notNull())
    .addColumn('locked_until', bigint)
    .addColumn('lock_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('updated_at', bigint, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('login_known_ips')
    .addColumn('username_normalized', 'text', (col) => col.notNull())
    .addColumn('ip', 'text', (col) => col.notNull())
    .addColumn('last_success_at', bigint, (col) => col.notNull())
    .addPrimaryKeyConstraint('login_known_ips_pk', ['username_normalized', 'ip'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', bigint, autoIdConstraint(db))
    .addColumn('ts', 'text', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('level', 'text', (col) => col.notNull())
    .addColumn('outcome', 'text', (col) => col.notNull())
    .addColumn('username', 'text')
    .addColumn('user_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('ip', 'text', (col) => col.notNull())
    .addColumn('user_agent', 'text', (col) => col.notNull())
    .addColumn('request_id', 'text', (col) => col.notNull())
    .addColumn('method', 'text', (col) => col.notNull())
    .addColumn('path', 'text', (col) => col.notNull())
    .addColumn('session_ref', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema
    .createIndex('audit_events_ts_idx')
    .on('audit_events')
    .columns(['ts', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_username_ts_idx')
    .on('audit_events')
    .columns(['username', 'ts'])
    .execute();
  await db.schema
    .createIndex('audit_events_ip_ts_idx')
    .on('audit_events')
    .columns(['ip', 'ts'])
    .execute();
  await db.schema
    .createIndex('audit_events_type_ts_idx')
    .on('audit_events')
    .columns(['type', 'ts'])
    .execute();

  await db.schema
    .createTable('blocks')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('created_at', bigint, (col) => col.notNull())
    .addColumn('expires_at', bigint, (col) => col.notNull())
    .addColumn('finding_id', 'text')
    .addColumn('lifted_at', bigint)
    .execute();
  await db.schema
    .createIndex('blocks_subject_idx')
    .on('blocks')
    .columns(['kind', 'subject', 'expires_at'])
    .execute();

  await db.schema
    .createTable('review_runs')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('window_from', 'text', (col) => col.notNull())
    .addColumn('window_to', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('trigger', 'text', (col) => col.notNull())
    .addColumn('dry_run', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('started_at', bigint, (col) => col.notNull())
    .addColumn('finished_at', bigint)
    .addColumn('lease_expires_at', bigint, (col) => col.notNull())
    .addColumn('events_reviewed', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('counts', 'text')
    .addColumn('measures', 'text')
    .addColumn('error', 'text')
    .addColumn('report_path', 'text')
    .execute();
  await db.schema
    .createIndex('review_runs_status_idx')
    .on('review_runs')
    .columns(['status', 'window_to'])
    .execute();

  await db.schema
    .createTable('review_findings')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('run_id', 'text', (col) =>
      col.notNull().references('review_runs.id').onDelete('cascade'),
    )
    .addColumn('rule', 'text', (col) => col.notNull())
    .addColumn('severity', 'text', (col) => col.notNull())
    .addColumn('subject_kind', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('evidence', 'text', (col) => col.notNull())
    .addColumn('first_seen', 'text', (col) => col.notNull())
    .addColumn('last_seen', 'text', (col) => col.notNull())
    .addColumn('sample_event_ids', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('review_findings_run_idx')
    .on('review_findings')
    .column('run_id')
    .execute();

  await db.schema
    .createTable('audit_seals')
    .addColumn('id', bigint, autoIdConstraint(db))
    .addColumn('run_id', 'text', (col) => col.notNull())
    .addColumn('first_event_id', bigint, (col) => col.notNull())
    .addColumn('last_event_id', bigint, (col) => col.notNull())
    .addColumn('event_count', 'integer', (col) => col.notNull())
    .addColumn('sealed_through', 'text', (col) => col.notNull())
    .addColumn('previous_hash', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .addColumn('created_at', bigint, (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_seals',
    'review_findings',
    'review_runs',
    'blocks',
    'audit_events',
    'login_known_ips',
    'login_throttle',
    'sessions',
    'users',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
