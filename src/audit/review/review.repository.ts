import { Injectable } from '@nestjs/common';
import { Kysely, Selectable, sql } from 'kysely';
import type Sqlite from 'better-sqlite3';
import {
  AuditEventsTable,
  DatabaseInfo,
  DB,
  InjectKysely,
  isPostgres,
  ReviewFindingsTable,
  ReviewRunsTable,
} from '../../database';
import { AuditEventType } from '../../common';
import { StoredReviewEvent } from './review.types';
import type { Finding, ReviewEvent, ReviewWindow } from './review.types';

export type RunStatus = 'running' | 'completed' | 'failed';

export interface RunRecord {
  id: string;
  windowFrom: string;
  windowTo: string;
  status: RunStatus;
  trigger: string;
  dryRun: boolean;
  startedAt: number;
  finishedAt?: number;
  leaseExpiresAt: number;
  eventsReviewed: number;
  /** Counts per event type, findings per rule and severity, duration. */
  counts?: Record<string, unknown>;
  measures?: unknown[];
  error?: string;
  reportPath?: string;
}

export interface NewRun {
  id: string;
  /**
   * The explicit start; absent, the claim starts the window where the last scheduled-style
   * run stopped (or at the first event), read in the same atomic step as the claim itself.
   */
  windowFrom?: string;
  windowTo: string;
  trigger: string;
  dryRun: boolean;
  /** A scheduled-style run (no explicit window, not a dry run): its end starts the next window. */
  advancesWindow: boolean;
  startedAt: number;
  leaseExpiresAt: number;
}

export interface RunResult {
  status: 'completed' | 'failed';
  finishedAt: number;
  eventsReviewed: number;
  counts: Record<string, unknown>;
  measures: unknown[];
  error?: string;
  reportPath?: string;
}

export interface StoredFinding extends Finding {
  id: string;
  runId: string;
  repeatOf?: string;
}

/** Canonical lines of consecutive events, ready for a seal's HMAC. */
export interface CanonicalBatch {
  /**
   * One canonical JSON line per event, each ending in `\n`, joined into pieces of at most
   * about `CANONICAL_CHUNK_CHARS`: the seal hashes them in order, so only their concatenation
   * matters.
   */
  chunks: string[];
  count: number;
  firstId?: number;
  lastId?: number;
  /** The oldest `ts` among them. */
  firstTs?: string;
  /** The newest `ts` among them. */
  lastTs?: string;
}

export interface CanonicalEvent {
  id: number;
  ts: string;
  text: string;
}

const quote = JSON.stringify;

/**
 * Canonical lines are joined into pieces of this many characters or a little more. One string
 * per page would be a few hundred KB: V8 puts strings that large straight into its old
 * generation, where only a full GC frees them, and the review's heap (and RSS) then grows with
 * the number of pages. Pieces this size die young, and are still few enough that the HMAC
 * sees large updates.
 */
export const CANONICAL_CHUNK_CHARS = 32 * 1024;

/**
 * The columns of `audit_events` in table order: what the raw SQLite reads select, and the
 * positions of `EventValues`.
 */
const EVENT_COLUMNS =
  'id, ts, type, level, outcome, username, user_id, reason, ip, user_agent, request_id, method, path, session_ref, details';

/** One `audit_events` row as a raw-mode statement returns it, in `EVENT_COLUMNS` order. */
type EventValues = [
  id: number,
  ts: string,
  type: string,
  level: string,
  outcome: string,
  username: string | null,
  userId: string | null,
  reason: string | null,
  ip: string,
  userAgent: string,
  requestId: string,
  method: string,
  path: string,
  sessionRef: string | null,
  details: string | null,
];

/**
 * Exactly `JSON.stringify(auditEventFromRow(row))` (API.md key order, absent fields left
 * out), written field by field and without parsing `details`: the column already holds the
 * `JSON.stringify` of the details, which is what re-serialising the parsed value gives. The
 * repository spec holds the two equal; over a million rows this is the seal's main cost.
 */
export function canonicalEventText(row: Selectable<AuditEventsTable>): string {
  return canonicalEventTextOf(valuesOfRow(row));
}

/** `canonicalEventText` of a raw row: the one implementation of the seal's text. */
function canonicalEventTextOf(v: EventValues): string {
  let text = `{"id":${v[0]},"ts":${quote(v[1])},"type":${quote(v[2])},"level":${quote(v[3])},"outcome":${quote(v[4])}`;
  if (v[5] !== null) text += `,"username":${quote(v[5])}`;
  if (v[6] !== null) text += `,"userId":${quote(v[6])}`;
  if (v[7] !== null) text += `,"reason":${quote(v[7])}`;
  text += `,"ip":${quote(v[8])},"userAgent":${quote(v[9])},"requestId":${quote(v[10])},"method":${quote(v[11])},"path":${quote(v[12])}`;
  if (v[13] !== null) text += `,"sessionRef":${quote(v[13])}`;
  if (v[14] !== null) text += `,"details":${v[14]}`;
  return `${text}}`;
}

/** The review fields of a raw row. */
function reviewEventOf(v: EventValues): ReviewEvent {
  return new StoredReviewEvent(
    v[0],
    v[1],
    v[2],
    v[4],
    v[5] ?? undefined,
    v[7] ?? undefined,
    v[8],
    v[9],
    v[11],
    v[12],
  );
}

function valuesOfRow(row: Selectable<AuditEventsTable>): EventValues {
  return [
    Number(row.id),
    row.ts,
    row.type,
    row.level,
    row.outcome,
    row.username,
    row.user_id,
    row.reason,
    row.ip,
    row.user_agent,
    row.request_id,
    row.method,
    row.path,
    row.session_ref,
    row.details,
  ];
}

/**
 * The review's PostgreSQL advisory lock is keyed by two int4s: this number, and a hash of the
 * current schema. Advisory locks are per database, not per schema: with one fixed key, two
 * deployments (or test suites) in different schemas of one database refused each other's
 * claims with a spurious 409.
 */
const REVIEW_LOCK_CLASS = 0x6761_7465; // "gate"

const SUCCESS_TYPES = [AuditEventType.LoginSuccess, AuditEventType.LoginSuccessAfterFail];

/**
 * All I/O of the nightly review: the run ledger, findings, and its reads of events (the seal
 * rows and the chain's head are in SealsRepository).
 */
export abstract class ReviewRepository {
  /** Marks `running` rows whose lease has expired as failed; returns how many. */
  abstract expireStaleClaims(now: number): Promise<number>;
  /**
   * Inserts the run as `running` only if no other run holds an unexpired lease, and returns
   * its window; undefined when another run holds the claim. The window (see `NewRun`) is read
   * by the same statement that claims, so two instances can never claim overlapping
   * scheduled windows. Atomic across processes (advisory lock on PostgreSQL, one write
   * statement on SQLite).
   */
  abstract claim(run: NewRun, now: number): Promise<ReviewWindow | undefined>;
  abstract renewLease(id: string, leaseExpiresAt: number): Promise<void>;
  /** Records the result of a run that is still `running`; a row already finished stays as is. */
  abstract finish(id: string, result: RunResult): Promise<void>;
  abstract findRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first; `before` is the cursor (`startedAt`, `id`) of the last run of the previous page. */
  abstract listRuns(
    limit: number,
    before?: { startedAt: number; id: string },
  ): Promise<RunRecord[]>;
  /** Where the scheduled window starts: the end of the last completed scheduled-style run. */
  abstract lastReviewedThrough(): Promise<string | undefined>;
  abstract firstEventTs(): Promise<string | undefined>;
  /** Ids of the first and last events with `from <= ts < to`; undefined when there are none. */
  abstract eventIdRange(
    from: string,
    to: string,
  ): Promise<{ firstId: number; lastId: number } | undefined>;
  /** Review columns only (no details), `afterId < id <= throughId`, oldest first. */
  abstract listEventsForReview(
    afterId: number,
    throughId: number,
    limit: number,
  ): Promise<ReviewEvent[]>;
  /** For each user, the IPs of its successful logins with `from <= ts < before`. */
  abstract successfulIpsBefore(
    usernames: string[],
    from: string,
    before: string,
  ): Promise<Map<string, Set<string>>>;
  abstract insertFindings(findings: StoredFinding[]): Promise<void>;
  abstract findingsOfRun(runId: string): Promise<StoredFinding[]>;
  /** The id of the same finding (rule, subject, first seen) in an earlier completed, acted-on run. */
  abstract findActedFinding(
    rule: string,
    subject: string,
    firstSeen: string,
    exceptRunId: string,
  ): Promise<string | undefined>;
  /**
   * Both at once, for a review that also seals: the review fields of each event, and the
   * canonical lines of those with `id > sealAfterId` as one batch.
   */
  abstract listEventsForReviewAndSeal(
    afterId: number,
    throughId: number,
    limit: number,
    sealAfterId: number,
  ): Promise<{ events: ReviewEvent[]; sealed: CanonicalBatch }>;
  /**
   * Events `afterId < id <= throughId`, oldest first, each as its canonical JSON text (the
   * line of the JSON-lines file): the input of a seal.
   */
  abstract listCanonicalEvents(
    afterId: number,
    throughId: number,
    limit: number,
  ): Promise<CanonicalEvent[]>;
}

type RunRow = Selectable<ReviewRunsTable>;
type FindingRow = Selectable<ReviewFindingsTable>;

function runFromRow(row: RunRow): RunRecord {
  const run: RunRecord = {
    id: row.id,
    windowFrom: row.window_from,
    windowTo: row.window_to,
    status: row.status,
    trigger: row.trigger,
    dryRun: Number(row.dry_run) === 1,
    startedAt: Number(row.started_at),
    leaseExpiresAt: Number(row.lease_expires_at),
    eventsReviewed: Number(row.events_reviewed),
  };
  if (row.finished_at !== null) run.finishedAt = Number(row.finished_at);
  if (row.counts !== null) run.counts = JSON.parse(row.counts) as Record<string, unknown>;
  if (row.measures !== null) run.measures = JSON.parse(row.measures) as unknown[];
  if (row.error !== null) run.error = row.error;
  if (row.report_path !== null) run.reportPath = row.report_path;
  return run;
}

function findingFromRow(row: FindingRow): StoredFinding {
  const extra = JSON.parse(row.evidence) as {
    evidence: Finding['evidence'];
    measures?: Finding['measures'];
    repeatOf?: string;
  };
  return {
    id: row.id,
    runId: row.run_id,
    rule: row.rule,
    severity: row.severity as Finding['severity'],
    subjectKind: row.subject_kind as Finding['subjectKind'],
    subject: row.subject,
    evidence: extra.evidence,
    measures: extra.measures,
    repeatOf: extra.repeatOf,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    sampleEventIds: JSON.parse(row.sample_event_ids) as number[],
  };
}

@Injectable()
export class KyselyReviewRepository extends ReviewRepository {
  /**
   * On SQLite, the review's reads of whole days of events go through raw-mode prepared
   * statements on the better-sqlite3 handle: rows come back as arrays, not one object per row
   * built by Kysely, which halves the review's read time and its garbage. PostgreSQL (and a
   * repository built without `DatabaseInfo`) reads through Kysely. Each read is one
   * synchronous statement, so going around Kysely's connection lock cannot split anything;
   * no SQLite transaction in the application spans an await.
   */
  private rawStatements?: { all: Sqlite.Statement; review: Sqlite.Statement };

  constructor(
    @InjectKysely() private readonly db: Kysely<DB>,
    private readonly info?: DatabaseInfo,
  ) {
    super();
  }

  /** Prepared on first use: the table may not exist yet when the repository is built. */
  private get rawEvents(): { all: Sqlite.Statement; review: Sqlite.Statement } | undefined {
    const sqlite = this.info?.sqlite;
    if (!sqlite || this.rawStatements) return this.rawStatements;
    const where = 'from audit_events where id > ? and id <= ? order by id limit ?';
    this.rawStatements = {
      all: sqlite.prepare(`select ${EVENT_COLUMNS} ${where}`).raw(true),
      // The positions of EVENT_COLUMNS, with NULL for the columns the review never reads.
      review: sqlite
        .prepare(
          `select id, ts, type, NULL, outcome, username, NULL, reason, ip, user_agent, NULL, method, path, NULL, NULL ${where}`,
        )
        .raw(true),
    };
    return this.rawStatements;
  }

  /** Whole events `afterId < id <= throughId`, oldest first, as raw values. */
  private async readEventValues(
    afterId: number,
    throughId: number,
    limit: number,
  ): Promise<EventValues[]> {
    const raw = this.rawEvents;
    if (raw) return raw.all.all(afterId, throughId, limit) as EventValues[];
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '>', afterId)
      .where('id', '<=', throughId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(valuesOfRow);
  }

  async expireStaleClaims(now: number): Promise<number> {
    const result = await this.db
      .updateTable('review_runs')
      .set({
        status: 'failed',
        error: 'lease expired: the run stopped without finishing',
        finished_at: now,
      })
      .where('status', '=', 'running')
      .where('lease_expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async claim(run: NewRun, now: number): Promise<ReviewWindow | undefined> {
    const to = run.windowTo;
    // The scheduled start, clamped to `to` (nothing new, or a clock that went back: an empty
    // window, not an error). ISO texts of one shape sort as their instants do.
    const from =
      run.windowFrom !== undefined
        ? sql`cast(${run.windowFrom} as text)`
        : sql`case when sched.at > cast(${to} as text) then cast(${to} as text) else sched.at end`;
    const insert = (db: Kysely<DB>) =>
      sql<{ window_from: string; window_to: string }>`
        insert into review_runs (id, window_from, window_to, status, trigger, dry_run, advances_window,
                                 started_at, lease_expires_at, events_reviewed)
        select ${run.id}, ${from}, cast(${to} as text), 'running', ${run.trigger}, ${run.dryRun ? 1 : 0},
               ${run.advancesWindow ? 1 : 0}, ${run.startedAt}, ${run.leaseExpiresAt}, 0
        from (select coalesce(
                (select max(window_to) from review_runs where advances_window = 1 and status = 'completed'),
                (select min(ts) from audit_events),
                cast(${to} as text)) as at) as sched
        where not exists (select 1 from review_runs where status = 'running' and lease_expires_at > ${now})
        returning window_from, window_to`.execute(db);
    const claimed = (rows: { window_from: string; window_to: string }[]) =>
      rows[0] ? { from: rows[0].window_from, to: rows[0].window_to } : undefined;
    if (!isPostgres(this.db as unknown as Kysely<unknown>)) {
      // One write statement: SQLite takes its write lock when the statement starts (before it
      // reads the last window), so no other connection or process can claim or finish a run
      // between the read and the insert.
      return claimed((await insert(this.db)).rows);
    }
    // One statement still has one snapshot under READ COMMITTED, but two could both pass the
    // NOT EXISTS; the advisory lock (released at commit) serialises claimers, and a busy lock
    // means another claim is in flight. The INSERT runs after the lock is taken, so its
    // snapshot sees every claim and every finished run committed before.
    return this.db.transaction().execute(async (trx) => {
      const lock = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_xact_lock(${REVIEW_LOCK_CLASS}, hashtext(current_schema())) as locked`.execute(
        trx,
      );
      if (!lock.rows[0]?.locked) return undefined;
      return claimed((await insert(trx)).rows);
    });
  }

  async renewLease(id: string, leaseExpiresAt: number): Promise<void> {
    await this.db
      .updateTable('review_runs')
      .set({ lease_expires_at: leaseExpiresAt })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  async finish(id: string, result: RunResult): Promise<void> {
    await this.db
      .updateTable('review_runs')
      .set({
        status: result.status,
        finished_at: result.finishedAt,
        events_reviewed: result.eventsReviewed,
        counts: JSON.stringify(result.counts),
        measures: JSON.stringify(result.measures),
        error: result.error ?? null,
        report_path: result.reportPath ?? null,
      })
      .where('id', '=', id)
      // A run whose lease expired was already marked failed, and another may have claimed.
      .where('status', '=', 'running')
      .execute();
  }

  async findRun(id: string): Promise<RunRecord | undefined> {
    const row = await this.db
      .selectFrom('review_runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? runFromRow(row) : undefined;
  }

  async listRuns(limit: number, before?: { startedAt: number; id: string }): Promise<RunRecord[]> {
    let query = this.db.selectFrom('review_runs').selectAll();
    if (before) {
      query = query.where((eb) =>
        eb.or([
          eb('started_at', '<', before.startedAt),
          eb.and([eb('started_at', '=', before.startedAt), eb('id', '<', before.id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(runFromRow);
  }

  async lastReviewedThrough(): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('review_runs')
      .select('window_to')
      .where('status', '=', 'completed')
      .where('advances_window', '=', 1)
      .orderBy('window_to', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.window_to;
  }

  async firstEventTs(): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('audit_events')
      .select('ts')
      .orderBy('ts', 'asc')
      .limit(1)
      .executeTakeFirst();
    return row?.ts;
  }

  async eventIdRange(
    from: string,
    to: string,
  ): Promise<{ firstId: number; lastId: number } | undefined> {
    const row = await this.db
      .selectFrom('audit_events')
      .select((eb) => [eb.fn.min('id').as('firstId'), eb.fn.max('id').as('lastId')])
      .where('ts', '>=', from)
      .where('ts', '<', to)
      .executeTakeFirst();
    if (!row || row.firstId === null || row.lastId === null) return undefined;
    return { firstId: Number(row.firstId), lastId: Number(row.lastId) };
  }

  async listEventsForReview(
    afterId: number,
    throughId: number,
    limit: number,
  ): Promise<ReviewEvent[]> {
    const raw = this.rawEvents;
    if (raw) {
      const values = raw.review.all(afterId, throughId, limit) as EventValues[];
      return values.map(reviewEventOf);
    }
    // By primary key only: the window's time bounds are applied by the engine, so the planner
    // never trades the id range for the ts index and sorts a whole window per page.
    const rows = await this.db
      .selectFrom('audit_events')
      .select([
        'id',
        'ts',
        'type',
        'outcome',
        'username',
        'reason',
        'ip',
        'user_agent',
        'method',
        'path',
      ])
      .where('id', '>', afterId)
      .where('id', '<=', throughId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(
      (row) =>
        new StoredReviewEvent(
          Number(row.id),
          row.ts,
          row.type,
          row.outcome,
          row.username ?? undefined,
          row.reason ?? undefined,
          row.ip,
          row.user_agent,
          row.method,
          row.path,
        ),
    );
  }

  async successfulIpsBefore(
    usernames: string[],
    from: string,
    before: string,
  ): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>();
    if (usernames.length === 0 || from >= before) return result;
    const rows = await this.db
      .selectFrom('audit_events')
      .select(['username', 'ip'])
      .distinct()
      .where('username', 'in', usernames)
      .where('ts', '>=', from)
      .where('ts', '<', before)
      .where('type', 'in', SUCCESS_TYPES)
      .where('outcome', '=', 'success')
      .execute();
    for (const row of rows) {
      if (row.username === null) continue;
      let ips = result.get(row.username);
      if (!ips) result.set(row.username, (ips = new Set()));
      ips.add(row.ip);
    }
    return result;
  }

  async insertFindings(findings: StoredFinding[]): Promise<void> {
    for (let start = 0; start < findings.length; start += 200) {
      await this.db
        .insertInto('review_findings')
        .values(
          findings.slice(start, start + 200).map((finding) => ({
            id: finding.id,
            run_id: finding.runId,
            rule: finding.rule,
            severity: finding.severity,
            subject_kind: finding.subjectKind,
            subject: finding.subject,
            evidence: JSON.stringify({
              evidence: finding.evidence,
              measures: finding.measures,
              repeatOf: finding.repeatOf,
            }),
            first_seen: finding.firstSeen,
            last_seen: finding.lastSeen,
            sample_event_ids: JSON.stringify(finding.sampleEventIds),
          })),
        )
        .execute();
    }
  }

  async findingsOfRun(runId: string): Promise<StoredFinding[]> {
    const rows = await this.db
      .selectFrom('review_findings')
      .selectAll()
      .where('run_id', '=', runId)
      .execute();
    return rows.map(findingFromRow);
  }

  async findActedFinding(
    rule: string,
    subject: string,
    firstSeen: string,
    exceptRunId: string,
  ): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('review_findings')
      .innerJoin('review_runs', 'review_runs.id', 'review_findings.run_id')
      .select('review_findings.id')
      .where('review_findings.rule', '=', rule)
      .where('review_findings.subject', '=', subject)
      .where('review_findings.first_seen', '=', firstSeen)
      .where('review_runs.dry_run', '=', 0)
      .where('review_runs.status', '=', 'completed')
      .where('review_runs.id', '!=', exceptRunId)
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  async listEventsForReviewAndSeal(
    afterId: number,
    throughId: number,
    limit: number,
    sealAfterId: number,
  ): Promise<{ events: ReviewEvent[]; sealed: CanonicalBatch }> {
    const rows = await this.readEventValues(afterId, throughId, limit);
    const events = new Array<ReviewEvent>(rows.length);
    // A few strings per page, not one per event (a million small strings cost more in GC than
    // in building them) nor one per page (see CANONICAL_CHUNK_CHARS).
    const chunks: string[] = [];
    let text = '';
    let count = 0;
    let firstId: number | undefined;
    let firstTs: string | undefined;
    let lastTs: string | undefined;
    let lastId: number | undefined;
    for (let i = 0; i < rows.length; i += 1) {
      const row = rows[i];
      events[i] = reviewEventOf(row);
      const id = row[0];
      if (id <= sealAfterId) continue;
      text += `${canonicalEventTextOf(row)}\n`;
      if (text.length >= CANONICAL_CHUNK_CHARS) {
        chunks.push(text);
        text = '';
      }
      count += 1;
      firstId ??= id;
      lastId = id;
      if (firstTs === undefined || row[1] < firstTs) firstTs = row[1];
      if (lastTs === undefined || row[1] > lastTs) lastTs = row[1];
    }
    if (text !== '') chunks.push(text);
    return { events, sealed: { chunks, count, firstId, lastId, firstTs, lastTs } };
  }

  async listCanonicalEvents(
    afterId: number,
    throughId: number,
    limit: number,
  ): Promise<CanonicalEvent[]> {
    const rows = await this.readEventValues(afterId, throughId, limit);
    return rows.map((row) => ({ id: row[0], ts: row[1], text: canonicalEventTextOf(row) }));
  }
}
