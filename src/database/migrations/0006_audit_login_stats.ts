import { Kysely, sql } from 'kysely';
import { isPostgres } from '../dialect';

/**
 * `GET /audit/stats` (the console's overview) over 7 days of hourly buckets must answer in
 * < 200 ms p50 with a million events. Counting half a million logins per request cannot (about
 * 2 s on SQLite even from a covering index), so login outcomes are also kept per hour by a
 * trigger, in the transaction of the event itself: the rollup can never disagree with the rows
 * that were committed, and no code path can forget to feed it. Rows are spread over 8 shards
 * (by event id) so concurrent writers on PostgreSQL do not queue on one hot row per hour.
 *
 * The classification is that of API.md: success; a checked failure (what guessing produces);
 * refused (429 lock/block/throttle/rate limit, 403 CSRF, 503 LOGIN_BUSY). Events pruned by
 * retention stay counted here (the console shows 7 days; retention is at least 1 day more).
 *
 * The top failing IPs and usernames read the events themselves, through a covering index over
 * the checked failures only (a few percent of the trail).
 */
const LOGIN_TYPES = `('authn_login_success', 'authn_login_successafterfail', 'authn_login_fail', 'authn_login_fail_max', 'excess_rate_limit_exceeded', 'malicious_csrf')`;

/** success, checked failure, refused: 1 or 0 for the event `row`. */
function outcomeCases(row: 'NEW' | 'e'): string[] {
  return [
    `CASE WHEN ${row}.type IN ('authn_login_success', 'authn_login_successafterfail') THEN 1 ELSE 0 END`,
    `CASE WHEN ${row}.type = 'authn_login_fail_max'
            OR (${row}.type = 'authn_login_fail' AND ${row}.reason IN ('unknown_user', 'bad_password', 'disabled'))
          THEN 1 ELSE 0 END`,
    `CASE WHEN (${row}.type = 'authn_login_fail' AND ${row}.reason IN ('locked', 'ip_blocked', 'throttled', 'busy', 'unavailable'))
            OR (${row}.type IN ('excess_rate_limit_exceeded', 'malicious_csrf') AND ${row}.path = '/auth/login')
          THEN 1 ELSE 0 END`,
  ];
}

const UPSERT_SET = `success = audit_login_stats.success + excluded.success,
      failure = audit_login_stats.failure + excluded.failure,
      refused = audit_login_stats.refused + excluded.refused`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_login_stats')
    .addColumn('bucket', 'text', (col) => col.notNull())
    .addColumn('shard', 'integer', (col) => col.notNull())
    .addColumn('success', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('failure', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('refused', 'integer', (col) => col.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('audit_login_stats_pk', ['bucket', 'shard'])
    .execute();

  // The trail so far.
  await sql
    .raw(
      `INSERT INTO audit_login_stats (bucket, shard, success, failure, refused)
       SELECT bucket, shard, sum(s), sum(f), sum(r) FROM (
         SELECT substr(e.ts, 1, 13) AS bucket, e.id % 8 AS shard, ${outcomeCases('e')
           .map((column, index) => `${column} AS ${['s', 'f', 'r'][index]}`)
           .join(', ')}
         FROM audit_events e WHERE e.type IN ${LOGIN_TYPES}
       ) t GROUP BY bucket, shard`,
    )
    .execute(db);

  if (isPostgres(db)) {
    await sql
      .raw(
        `CREATE FUNCTION audit_login_stats_count() RETURNS trigger AS $$
         BEGIN
           INSERT INTO audit_login_stats (bucket, shard, success, failure, refused)
           VALUES (substr(NEW.ts, 1, 13), NEW.id % 8, ${outcomeCases('NEW').join(', ')})
           ON CONFLICT (bucket, shard) DO UPDATE SET ${UPSERT_SET};
           RETURN NULL;
         END
         $$ LANGUAGE plpgsql`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER audit_login_stats_count AFTER INSERT ON audit_events
         FOR EACH ROW WHEN (NEW.type IN ${LOGIN_TYPES})
         EXECUTE FUNCTION audit_login_stats_count()`,
      )
      .execute(db);
  } else {
    await sql
      .raw(
        `CREATE TRIGGER audit_login_stats_count AFTER INSERT ON audit_events
         FOR EACH ROW WHEN NEW.type IN ${LOGIN_TYPES}
         BEGIN
           INSERT INTO audit_login_stats (bucket, shard, success, failure, refused)
           VALUES (substr(NEW.ts, 1, 13), NEW.id % 8, ${outcomeCases('NEW').join(', ')})
           ON CONFLICT (bucket, shard) DO UPDATE SET ${UPSERT_SET};
         END`,
      )
      .execute(db);
  }

  await db.schema
    .createIndex('audit_events_failures_idx')
    .on('audit_events')
    .columns(['type', 'reason', 'ts', 'ip', 'username'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_failures_idx').ifExists().execute();
  if (isPostgres(db)) {
    await sql.raw('DROP TRIGGER IF EXISTS audit_login_stats_count ON audit_events').execute(db);
    await sql.raw('DROP FUNCTION IF EXISTS audit_login_stats_count()').execute(db);
  } else {
    await sql.raw('DROP TRIGGER IF EXISTS audit_login_stats_count').execute(db);
  }
  await db.schema.dropTable('audit_login_stats').ifExists().execute();
}
