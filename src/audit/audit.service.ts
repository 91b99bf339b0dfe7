import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { createHmac } from 'node:crypto';
import {
  auditWriteObserved,
  currentRequestContext,
  CursorCodec,
  errorMessage,
  publishAuditWrite,
  readPage,
  systemContext,
} from '../common';
import type { AuditLevel, Page } from '../common';
import type { AuditEvent, AuditEventInput } from './audit-event';
import { sanitizeAuditEvent } from './audit-event.sanitizer';
import { AuditEventFilter, AuditRepository } from './audit.repository';
import { AuditFileSink } from './audit-file.sink';
import { AUDIT_SINKS, AuditSink, DeferredAuditEvent } from './audit-sink';
import { AuditModuleOptions, InjectAuditOptions } from './audit.module-definition';

/** Deferred events kept in memory for a later database write; beyond it, the file alone holds them. */
export const MAX_DEFERRED_EVENTS = 10_000;
/** Retry delays of deferred writes: doubling from the first, capped at the last. */
const DEFERRED_RETRY_FIRST_MS = 500;
const DEFERRED_RETRY_MAX_MS = 30_000;

/** Rows deleted per statement by `pruneOlderThan`: each statement's lock stays short. */
export const PRUNE_BATCH_SIZE = 5_000;

/** The cursor of an events page: the id of its last (oldest) event. */
export const AUDIT_EVENTS_CURSOR = new CursorCodec<number>(
  'ae1:',
  (id) => String(id),
  (text) => (/^[1-9]\d{0,15}$/.test(text) ? Number(text) : undefined),
);

function defaultLevel(input: AuditEventInput): AuditLevel {
  if (input.type === 'authn_token_reuse' || input.type === 'malicious_csrf') return 'CRITICAL';
  return input.outcome === 'failure' ? 'WARN' : 'INFO';
}

/**
 * The audit port. `record()` resolves only after the event's row is committed, so a caller
 * that awaits it before answering never answers an unrecorded attempt.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly sessionRefKey: Buffer;
  private readonly failingSinks = new Set<string>();
  /** Events whose insert failed or outlived its budget, waiting for the database to answer. */
  private readonly deferred: Omit<AuditEvent, 'id'>[] = [];
  private retryTimer?: NodeJS.Timeout;
  private retryDelayMs = DEFERRED_RETRY_FIRST_MS;
  private stopped = false;
  /** AUDIT_RETENTION_DAYS: how long events stay in the database and in rotated files. */
  readonly retentionDays: number;

  constructor(
    private readonly repository: AuditRepository,
    @InjectAuditOptions() options: AuditModuleOptions,
    @Optional() @Inject(AUDIT_SINKS) private readonly sinks: AuditSink[] = [],
  ) {
    this.retentionDays = options.retentionDays;
    this.sessionRefKey = createHmac('sha256', options.sealKey)
      .update('gatehouse:session-ref')
      .digest();
  }

  /**
   * The file may lack the last events of a process killed between the commit and the file
   * write: the database is the durable record, so the file sink appends what it lacks.
   */
  async onApplicationBootstrap(): Promise<void> {
    for (const sink of this.sinks) {
      if (!(sink instanceof AuditFileSink)) continue;
      try {
        const appended = await sink.catchUp((afterId, limit) =>
          this.repository.listAfterId(afterId, limit),
        );
        if (appended > 0)
          this.logger.log(`Appended ${appended} audit events the file lacked, from the database`);
      } catch (error) {
        const message = errorMessage(error);
        this.logger.error(`Audit file catch-up failed; the file may lack events: ${message}`);
      }
    }
  }

  /** Events with `id > afterId`, oldest first (the file verifier's check of a file's tail). */
  eventsAfter(
    afterId: number,
    limit: number,
    filter: AuditEventFilter = {},
  ): Promise<AuditEvent[]> {
    return this.repository.listAfterId(afterId, limit, filter);
  }

  /** The keyed hash that stands for a session id in events; never reversible to the id. */
  sessionRef(sessionId: string): string {
    return createHmac('sha256', this.sessionRefKey)
      .update(sessionId)
      .digest('base64url')
      .slice(0, 22);
  }

  async record(input: AuditEventInput): Promise<AuditEvent> {
    const event = this.build(input);
    // Timed only when the metrics module listens (`audit write latency` histogram).
    const started = auditWriteObserved() ? performance.now() : undefined;
    const id = await this.repository.insert(event);
    if (started !== undefined) publishAuditWrite((performance.now() - started) / 1000);
    const stored: AuditEvent = { id, ...event };
    for (const sink of this.sinks) this.writeToSink(sink, stored);
    return stored;
  }

  /**
   * Records an event without holding its request past `budgetMs`: the answer of a request that
   * the database failed (503) must leave within DB_TIMEOUT_MS, and its audit write would wait a
   * timeout of its own. Resolves `true` when the row is committed in time. Otherwise (the
   * insert failed or is still waiting) the event is deferred and never lost: the sinks (the
   * JSON-lines file) get it at once, without an id, and its row is inserted as soon as the
   * database answers: by the insert still under way if it completes, else by retries.
   */
  async recordWithin(input: AuditEventInput, budgetMs: number): Promise<boolean> {
    const event = this.build(input);
    const insert = this.repository.insert(event);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      insert.then(
        (id) => ({ id }),
        () => 'failed' as const,
      ),
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), Math.max(0, budgetMs));
      }),
    ]);
    clearTimeout(timer);
    if (typeof outcome === 'object') {
      const stored: AuditEvent = { id: outcome.id, ...event };
      for (const sink of this.sinks) this.writeToSink(sink, stored);
      return true;
    }
    const pending: DeferredAuditEvent = { ...event };
    for (const sink of this.sinks) this.writeToSink(sink, pending);
    if (outcome === 'failed') this.defer(event);
    else insert.catch(() => this.defer(event));
    return false;
  }

  /** How many deferred events still wait for their row. */
  get deferredCount(): number {
    return this.deferred.length;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.deferred.length > 0) {
      this.logger.warn(
        `${this.deferred.length} deferred audit events never reached the database; ` +
          'they are in the audit file only',
      );
    }
  }

  private defer(event: Omit<AuditEvent, 'id'>): void {
    if (this.deferred.length >= MAX_DEFERRED_EVENTS) {
      // Still in the file; said once per overflowing event so the gap is visible in the log.
      this.logger.error(`Deferred audit queue full: event ${event.requestId} is in the file only`);
      return;
    }
    this.deferred.push(event);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    this.retryTimer = setTimeout(() => void this.retryDeferred(), this.retryDelayMs);
    this.retryTimer.unref();
  }

  /** Inserts the deferred events in order; stops at the first failure and tries again later. */
  private async retryDeferred(): Promise<void> {
    this.retryTimer = undefined;
    let written = 0;
    while (this.deferred.length > 0 && !this.stopped) {
      try {
        await this.repository.insert(this.deferred[0]);
      } catch {
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, DEFERRED_RETRY_MAX_MS);
        this.scheduleRetry();
        break;
      }
      this.deferred.shift();
      written++;
    }
    if (this.deferred.length === 0) this.retryDelayMs = DEFERRED_RETRY_FIRST_MS;
    if (written > 0) this.logger.log(`Wrote ${written} deferred audit events to the database`);
  }

  private build(input: AuditEventInput): Omit<AuditEvent, 'id'> {
    const context = currentRequestContext() ?? systemContext('SYSTEM', '-');
    return sanitizeAuditEvent({
      ts: input.ts ?? new Date().toISOString(),
      type: input.type,
      level: input.level ?? defaultLevel(input),
      outcome: input.outcome,
      username: input.username,
      userId: input.userId,
      reason: input.reason,
      ip: input.ip ?? context.ip,
      userAgent: input.userAgent ?? context.userAgent,
      requestId: input.requestId ?? context.requestId,
      method: input.method ?? context.method,
      path: input.path ?? context.path,
      sessionRef: input.sessionId === undefined ? undefined : this.sessionRef(input.sessionId),
      details: input.details,
    });
  }

  /**
   * Newest first. Pages follow ids, which only grow, so rows inserted while a client pages
   * appear above its first page and never shift or repeat the pages it has yet to read.
   */
  list(filter: AuditEventFilter, limit: number, cursor?: string): Promise<Page<AuditEvent>> {
    const beforeId = AUDIT_EVENTS_CURSOR.decodeOptional(cursor);
    return readPage(
      limit,
      (take) => this.repository.list(filter, take, beforeId),
      (last) => AUDIT_EVENTS_CURSOR.encode(last.id),
    );
  }

  /** How many events match (one COUNT); the CLI's progress bars take their totals from it. */
  countEvents(filter: AuditEventFilter = {}): Promise<number> {
    return this.repository.count(filter);
  }

  /**
   * Deletes events older than `days` days in statements of at most `batchSize` rows, so
   * pruning millions of rows never holds a long lock; returns how many it deleted.
   * `onProgress` (the CLI's bar) gets the number of events to delete first (one COUNT, made
   * only when it is given), then the running total after each statement.
   */
  async pruneOlderThan(
    days: number,
    batchSize = PRUNE_BATCH_SIZE,
    now = Date.now(),
    onProgress?: (progress: { deleted: number; total: number }) => void,
  ): Promise<number> {
    if (!Number.isInteger(days) || days < 1)
      throw new RangeError('days must be a whole number of at least 1');
    const before = new Date(now - days * 86_400_000).toISOString();
    const toDelete = onProgress ? await this.repository.count({ to: before }) : 0;
    onProgress?.({ deleted: 0, total: toDelete });
    let total = 0;
    for (;;) {
      const deleted = await this.repository.deleteOlderThan(before, batchSize);
      total += deleted;
      onProgress?.({ deleted: total, total: Math.max(toDelete, total) });
      if (deleted < batchSize) break;
      // Lets requests waiting on the database in between batches go first.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (total > 0) this.logger.log(`Pruned ${total} audit events older than ${before}`);
    return total;
  }

  /** Applies the configured retention (AUDIT_RETENTION_DAYS); the nightly review calls this. */
  pruneExpired(now = Date.now()): Promise<number> {
    return this.pruneOlderThan(this.retentionDays, PRUNE_BATCH_SIZE, now);
  }

  /** Health of each extra sink, by name (the file sink is `file`, shown as `auditFile`). */
  sinkHealth(): Record<string, boolean> {
    return Object.fromEntries(this.sinks.map((sink) => [sink.name, sink.isHealthy()]));
  }

  private writeToSink(sink: AuditSink, event: AuditEvent | DeferredAuditEvent): void {
    const failed = (error: unknown): void => {
      // Logged once per outage, not once per event; /health shows the sink as down meanwhile.
      if (!this.failingSinks.has(sink.name)) {
        this.failingSinks.add(sink.name);
        const message = errorMessage(error);
        this.logger.error(
          `Audit sink "${sink.name}" failed; events stay in the database: ${message}`,
        );
      }
    };
    try {
      const result = sink.write(event);
      if (result instanceof Promise) {
        result.then(() => this.failingSinks.delete(sink.name), failed);
      } else {
        this.failingSinks.delete(sink.name);
      }
    } catch (error) {
      failed(error);
    }
  }
}
