import { Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { DB, InjectKysely } from '../../database';

export type StatsBucket = '1h' | '1d';

/** Characters of the ISO-8601 `ts` text that name its bucket: `2026-01-31T23` or `2026-01-31`. */
const BUCKET_PREFIX: Record<StatsBucket, number> = { '1h': 13, '1d': 10 };

export interface LoginBucketCounts {
  /** The bucket's key: the first 13 (hour) or 10 (day) characters of the ISO time. */
  key: string;
  success: number;
  failure: number;
  refused: number;
}

export interface StatsWindow {
  /** Inclusive ISO-8601 UTC lower bound. */
  from: string;
  /** Exclusive ISO-8601 UTC upper bound. */
  to: string;
  bucket: StatsBucket;
}

/**
 * The figures of `GET /audit/stats`, each from one aggregate query grouped in the database;
 * no event row ever reaches the process.
 */
export abstract class AuditStatsRepository {
  abstract loginsPerBucket(window: StatsWindow): Promise<LoginBucketCounts[]>;
  /** Distinct findings (rule + subject) per bucket of their first sighting. */
  abstract findingsPerBucket(window: StatsWindow): Promise<{ key: string; findings: number }[]>;
  abstract topFailingIps(
    window: Omit<StatsWindow, 'bucket'>,
    limit: number,
  ): Promise<{ ip: string; failures: number }[]>;
  abstract topFailingUsernames(
    window: Omit<StatsWindow, 'bucket'>,
    limit: number,
  ): Promise<{ username: string; failures: number }[]>;
}

/** Checked credentials that failed: what a guesser produces (API.md). */
const CHECKED_FAILURE_REASONS = ['unknown_user', 'bad_password', 'disabled'];

@Injectable()
export class KyselyAuditStatsRepository extends AuditStatsRepository {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  private bucketKey(column: string, bucket: StatsBucket) {
    // A literal length, so the select and GROUP BY are the same expression on PostgreSQL too.
    return sql<string>`substr(${sql.ref(column)}, 1, ${sql.lit(BUCKET_PREFIX[bucket])})`;
  }

  /**
   * From the hourly rollup that a trigger keeps beside the events (migration 0006): counting
   * the events themselves took seconds at a million. Whole hours: a `to` inside an hour
   * counts that hour (events are never later than now, the default `to`).
   */
  async loginsPerBucket(window: StatsWindow): Promise<LoginBucketCounts[]> {
    const key = this.bucketKey('bucket', window.bucket);
    const lastHour = new Date(Date.parse(window.to) - 1).toISOString().slice(0, 13);
    const rows = await this.db
      .selectFrom('audit_login_stats')
      .select((eb) => [
        key.as('key'),
        eb.fn.sum<number>('success').as('success'),
        eb.fn.sum<number>('failure').as('failure'),
        eb.fn.sum<number>('refused').as('refused'),
      ])
      .where('bucket', '>=', window.from.slice(0, 13))
      .where('bucket', '<=', lastHour)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((row) => ({
      key: row.key,
      success: Number(row.success),
      failure: Number(row.failure),
      refused: Number(row.refused),
    }));
  }

  async findingsPerBucket(window: StatsWindow): Promise<{ key: string; findings: number }[]> {
    const key = this.bucketKey('first_seen', window.bucket);
    // Overlapping runs (a dry run, then the night's run) find the same thing twice: count it once.
    const rows = await this.db
      .selectFrom('review_findings')
      .select([
        key.as('key'),
        sql<number>`count(distinct rule || '|' || subject_kind || '|' || subject)`.as('findings'),
      ])
      .where('first_seen', '>=', window.from)
      .where('first_seen', '<', window.to)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((row) => ({ key: row.key, findings: Number(row.findings) }));
  }

  private checkedFailures(window: Omit<StatsWindow, 'bucket'>) {
    return (
      this.db
        .selectFrom('audit_events')
        .where('ts', '>=', window.from)
        .where('ts', '<', window.to)
        // Both branches lead with (type, reason): the covering index of migration 0006.
        .where((eb) =>
          eb.or([
            eb.and([
              eb('type', '=', 'authn_login_fail_max'),
              eb('reason', 'in', CHECKED_FAILURE_REASONS),
            ]),
            eb.and([
              eb('type', '=', 'authn_login_fail'),
              eb('reason', 'in', CHECKED_FAILURE_REASONS),
            ]),
          ]),
        )
    );
  }

  async topFailingIps(
    window: Omit<StatsWindow, 'bucket'>,
    limit: number,
  ): Promise<{ ip: string; failures: number }[]> {
    const rows = await this.checkedFailures(window)
      .select((eb) => ['ip', eb.fn.countAll<number>().as('failures')])
      .groupBy('ip')
      .orderBy('failures', 'desc')
      .orderBy('ip', 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ ip: row.ip, failures: Number(row.failures) }));
  }

  async topFailingUsernames(
    window: Omit<StatsWindow, 'bucket'>,
    limit: number,
  ): Promise<{ username: string; failures: number }[]> {
    const rows = await this.checkedFailures(window)
      .where('username', 'is not', null)
      .select((eb) => ['username', eb.fn.countAll<number>().as('failures')])
      .groupBy('username')
      .orderBy('failures', 'desc')
      .orderBy('username', 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ username: row.username ?? '', failures: Number(row.failures) }));
  }
}
