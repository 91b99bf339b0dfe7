import { Injectable } from '@nestjs/common';
import { Kysely, RawBuilder, sql } from 'kysely';
import { DB, InjectKysely, isPostgres } from '../../database';
import {
  FailureOutcome,
  FailurePolicy,
  GrantedReservation,
  releasedCounter,
  Reservation,
  ReservationRequest,
  reservationOf,
  ThrottleCounter,
  ThrottleStore,
  ThrottleSubject,
} from './throttle.store';

/**
 * Keys of `login_throttle`. A pair key is JSON, so the username part is delimited without
 * ambiguity whatever characters a username holds, and `clearUsername` can match the pairs of
 * one username by prefix.
 */
export function throttleKey(subject: ThrottleSubject): string {
  switch (subject.kind) {
    case 'pair':
      return `pair:${JSON.stringify([subject.username, subject.ip])}`;
    case 'user':
      return `user:${subject.username}`;
    case 'ip':
      return `ip:${subject.ip}`;
  }
}

function pairPrefix(username: string): string {
  // `pair:["alice",` — the closing quote of the username is part of the prefix.
  return `pair:${JSON.stringify([username]).slice(0, -1)},`;
}

interface ThrottleRow {
  failures: number | string;
  window_started_at: number | string;
  locked_until: number | string | null;
  lock_count: number | string;
}

function counterFromRow(row: ThrottleRow): ThrottleCounter {
  return {
    failures: Number(row.failures),
    windowStartedAt: Number(row.window_started_at),
    lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    lockCount: Number(row.lock_count),
  };
}

/**
 * A typed integer parameter. PostgreSQL cannot infer the type of a bare parameter inside CASE
 * or arithmetic; the cast works the same on SQLite.
 */
function int(value: number): RawBuilder<number> {
  return sql<number>`cast(${Math.trunc(value)} as bigint)`;
}

function lockDurationFor(
  lockCount: RawBuilder<number>,
  durations: readonly number[],
): RawBuilder<number> {
  if (durations.length === 0) throw new Error('A failure policy needs at least one lock duration');
  if (durations.length === 1) return int(durations[0]);
  const steps = durations
    .slice(0, -1)
    .map((duration, index) => sql`when ${lockCount} = ${int(index)} then ${int(duration)}`);
  return sql<number>`(case ${sql.join(steps, sql` `)} else ${int(durations[durations.length - 1])} end)`;
}

/** The first key of the two-key advisory locks of throttle counters (its own key space). */
const ADVISORY_LOCK_CLASS = 0x7468; // 'th'

const now = (): number => Date.now();

async function readKeys(
  db: Kysely<DB>,
  keys: readonly string[],
): Promise<(ThrottleCounter | undefined)[]> {
  const rows = await db
    .selectFrom('login_throttle')
    .select(['key', 'failures', 'window_started_at', 'locked_until', 'lock_count'])
    .where('key', 'in', [...keys])
    .execute();
  const byKey = new Map(rows.map((row) => [row.key, counterFromRow(row)]));
  return keys.map((key) => byKey.get(key));
}

async function writeCounter(
  db: Kysely<DB>,
  key: string,
  counter: ThrottleCounter,
  updatedAt: number,
): Promise<void> {
  const values = {
    failures: counter.failures,
    window_started_at: counter.windowStartedAt,
    locked_until: counter.lockedUntil,
    lock_count: counter.lockCount,
    updated_at: updatedAt,
  };
  await db
    .insertInto('login_throttle')
    .values({ key, ...values })
    .onConflict((conflict) => conflict.column('key').doUpdateSet(values))
    .execute();
}

/**
 * The login throttle in the database (SQLite or PostgreSQL). Each failure is one
 * `INSERT … ON CONFLICT DO UPDATE` whose conditional expressions read the row as it is under
 * the row lock, so concurrent failures, on one instance or several, are all counted and exactly
 * one of them takes the lock.
 */
@Injectable()
export class KyselyThrottleStore extends ThrottleStore {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async read(subjects: readonly ThrottleSubject[]): Promise<(ThrottleCounter | undefined)[]> {
    if (subjects.length === 0) return [];
    const keys = subjects.map(throttleKey);
    const rows = await this.db
      .selectFrom('login_throttle')
      .select(['key', 'failures', 'window_started_at', 'locked_until', 'lock_count'])
      .where('key', 'in', keys)
      .execute();
    const byKey = new Map(rows.map((row) => [row.key, counterFromRow(row)]));
    return keys.map((key) => byKey.get(key));
  }

  async recordFailure(
    subject: ThrottleSubject,
    policy: FailurePolicy,
    now: number,
  ): Promise<FailureOutcome> {
    const key = throttleKey(subject);
    const current = {
      failures: sql.ref<number>('login_throttle.failures'),
      windowStartedAt: sql.ref<number>('login_throttle.window_started_at'),
      lockedUntil: sql.ref<number | null>('login_throttle.locked_until'),
      lockCount: sql.ref<number>('login_throttle.lock_count'),
    };
    const nowMs = int(now);
    const windowMs = int(policy.windowMs);
    const windowOver = sql<boolean>`(${current.windowStartedAt} + ${windowMs} <= ${nowMs})`;
    const lockForgotten = sql<boolean>`(${windowOver} and (${current.lockedUntil} is null or ${current.lockedUntil} + ${windowMs} <= ${nowMs}))`;
    const earlierLocks = sql<number>`(case when ${lockForgotten} then ${int(0)} else ${current.lockCount} end)`;
    const failures = sql<number>`(case when ${windowOver} then ${int(1)} else ${current.failures} + 1 end)`;
    const reached = sql<boolean>`(${failures} >= ${int(policy.maxFailures)})`;
    const lockMs = lockDurationFor(earlierLocks, policy.lockDurationsMs);

    const locksOnFirst = policy.maxFailures <= 1;
    const row = await this.db
      .insertInto('login_throttle')
      .values({
        key,
        failures: locksOnFirst ? 0 : 1,
        window_started_at: now,
        locked_until: locksOnFirst ? now + policy.lockDurationsMs[0] : null,
        lock_count: locksOnFirst ? 1 : 0,
        updated_at: now,
      })
      .onConflict((conflict) =>
        conflict
          .column('key')
          .doUpdateSet({
            failures: sql<number>`case when ${reached} then ${int(0)} else ${failures} end`,
            window_started_at: sql<number>`case when ${reached} or ${windowOver} then ${nowMs} else ${current.windowStartedAt} end`,
            locked_until: sql<
              number | null
            >`case when ${reached} then ${nowMs} + ${lockMs} else ${current.lockedUntil} end`,
            lock_count: sql<number>`case when ${reached} then ${earlierLocks} + 1 else ${earlierLocks} end`,
            updated_at: nowMs,
          })
          // A locked counter is left alone; then no row comes back and nothing was counted.
          .where(
            sql<boolean>`${current.lockedUntil} is null or ${current.lockedUntil} <= ${nowMs}`,
          ),
      )
      .returning(['failures', 'window_started_at', 'locked_until', 'lock_count'])
      .executeTakeFirst();
    if (!row) return { counted: false, lockedNow: false };
    const counter = counterFromRow(row);
    // A counted failure leaves a count of at least 1 unless it reached the threshold and locked.
    return { counted: true, lockedNow: counter.failures === 0, counter };
  }

  async reserve(requests: readonly ReservationRequest[], now: number): Promise<Reservation> {
    const keys = requests.map((request) => throttleKey(request.subject));
    return this.exclusively(keys, async (db) => {
      const counters = await readKeys(db, keys);
      const { reservation, writes } = reservationOf(counters, requests, now);
      for (const [index, counter] of writes.entries()) {
        if (counter) await writeCounter(db, keys[index], counter, now);
      }
      return reservation;
    });
  }

  async release(
    requests: readonly ReservationRequest[],
    reservation: GrantedReservation,
  ): Promise<void> {
    const keys = requests.map((request) => throttleKey(request.subject));
    await this.exclusively(keys, async (db) => {
      const counters = await readKeys(db, keys);
      for (const [index, key] of keys.entries()) {
        const next = releasedCounter(counters[index], reservation.subjects[index]);
        if (next === null) await db.deleteFrom('login_throttle').where('key', '=', key).execute();
        else if (next) await writeCounter(db, key, next, now());
      }
    });
  }

  /**
   * Runs read-decide-write on some counters with no other reservation or release of the same
   * keys in between, on one instance or several. PostgreSQL: a transaction holding an advisory
   * lock per key (taken in key order, so two of them never deadlock); a row lock cannot serve,
   * as the row may not exist yet. SQLite: one writer at a time, `BEGIN IMMEDIATE` takes the
   * write lock up front (and Kysely hands the one connection to one caller at a time).
   */
  private async exclusively<T>(
    keys: readonly string[],
    work: (db: Kysely<DB>) => Promise<T>,
  ): Promise<T> {
    if (isPostgres(this.db as unknown as Kysely<unknown>)) {
      return this.db.transaction().execute(async (trx) => {
        for (const key of [...new Set(keys)].sort()) {
          await sql`select pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCK_CLASS)}, hashtext(${key}))`.execute(
            trx,
          );
        }
        return work(trx);
      });
    }
    return this.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await work(connection);
        await sql`commit`.execute(connection);
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    });
  }

  async resetPair(username: string, ip: string): Promise<ThrottleCounter | undefined> {
    const row = await this.db
      .deleteFrom('login_throttle')
      .where('key', '=', throttleKey({ kind: 'pair', username, ip }))
      .returning(['failures', 'window_started_at', 'locked_until', 'lock_count'])
      .executeTakeFirst();
    return row ? counterFromRow(row) : undefined;
  }

  async rememberKnownIp(username: string, ip: string, now: number): Promise<void> {
    await this.db
      .insertInto('login_known_ips')
      .values({ username_normalized: username, ip, last_success_at: now })
      .onConflict((conflict) =>
        conflict.columns(['username_normalized', 'ip']).doUpdateSet({ last_success_at: now }),
      )
      .execute();
  }

  async isKnownIp(username: string, ip: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('login_known_ips')
      .select('ip')
      .where('username_normalized', '=', username)
      .where('ip', '=', ip)
      .executeTakeFirst();
    return row !== undefined;
  }

  async clearUsername(username: string): Promise<void> {
    const prefix = pairPrefix(username);
    // substr counts characters (code points) on both engines; LIKE would need escaping and is
    // case-insensitive on SQLite, and a range scan depends on the PostgreSQL collation.
    const prefixLength = [...prefix].length;
    await this.db
      .deleteFrom('login_throttle')
      .where((eb) =>
        eb.or([
          eb('key', '=', throttleKey({ kind: 'user', username })),
          eb(
            sql<string>`substr(${sql.ref('key')}, 1, ${sql`cast(${prefixLength} as integer)`})`,
            '=',
            prefix,
          ),
        ]),
      )
      .execute();
  }

  async purgeStale(windowMs: number, now: number): Promise<number> {
    const cutoff = now - windowMs;
    const result = await this.db
      .deleteFrom('login_throttle')
      .where('window_started_at', '<=', cutoff)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', cutoff)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
