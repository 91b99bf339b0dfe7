import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import {
  auditWriteObserved,
  currentRequestContext,
  publishAuditWrite,
  systemContext,
} from '../common';
import type { AuditEvent, AuditEventInput, AuditLevel } from './audit-event';
import { sanitizeAuditEvent } from './audit-event.sanitizer';
import { AuditEventFilter, AuditRepository } from './audit.repository';
import { AuditFileSink } from './audit-file.sink';
import { AUDIT_SINKS, AuditSink } from './audit-sink';
import { AuditModuleOptions, InjectAuditOptions } from './audit.module-definition';

/** Rows deleted per statement by `pruneOlderThan`: each statement's lock stays short. */
export const PRUNE_BATCH_SIZE = 5_000;

export interface AuditEventPage {
  items: AuditEvent[];
  /** Pass back as `beforeId` for the next (older) page; undefined on the last page. */
  nextBeforeId?: number;
}

function defaultLevel(input: AuditEventInput): AuditLevel {
  if (input.type === 'authn_token_reuse' || input.type === 'malicious_csrf') return 'CRITICAL';
  return input.outcome === 'failure' ? 'WARN' : 'INFO';
}

/**
 * The audit port. `record()` resolves only after the event's row is committed, so a caller
 * that awaits it before answering never answers an unrecorded attempt.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Audit');
  private readonly sessionRefKey: Buffer;
  private readonly failingSinks = new Set<string>();
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
        const message = error instanceof Error ? error.message : String(error);
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
    const context = currentRequestContext() ?? systemContext('SYSTEM', '-');
    const event = sanitizeAuditEvent({
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
    // Timed only when the metrics module listens (`audit write latency` histogram).
    const started = auditWriteObserved() ? performance.now() : undefined;
    const id = await this.repository.insert(event);
    if (started !== undefined) publishAuditWrite((performance.now() - started) / 1000);
    const stored: AuditEvent = { id, ...event };
    for (const sink of this.sinks) this.writeToSink(sink, stored);
    return stored;
  }

  /**
   * Newest first. Pages follow ids, which only grow, so rows inserted while a client pages
   * appear above its first page and never shift or repeat the pages it has yet to read.
   */
  async list(filter: AuditEventFilter, limit: number, beforeId?: number): Promise<AuditEventPage> {
    const rows = await this.repository.list(filter, limit + 1, beforeId);
    const items = rows.slice(0, limit);
    return { items, nextBeforeId: rows.length > limit ? items[items.length - 1].id : undefined };
  }

  /**
   * Deletes events older than `days` days in statements of at most `batchSize` rows, so
   * pruning millions of rows never holds a long lock; returns how many it deleted.
   */
  async pruneOlderThan(
    days: number,
    batchSize = PRUNE_BATCH_SIZE,
    now = Date.now(),
  ): Promise<number> {
    if (!Number.isInteger(days) || days < 1)
      throw new RangeError('days must be a whole number of at least 1');
    const before = new Date(now - days * 86_400_000).toISOString();
    let total = 0;
    for (;;) {
      const deleted = await this.repository.deleteOlderThan(before, batchSize);
      total += deleted;
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

  private writeToSink(sink: AuditSink, event: AuditEvent): void {
    const failed = (error: unknown): void => {
      // Logged once per outage, not once per event; /health shows the sink as down meanwhile.
      if (!this.failingSinks.has(sink.name)) {
        this.failingSinks.add(sink.name);
        const message = error instanceof Error ? error.message : String(error);
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
