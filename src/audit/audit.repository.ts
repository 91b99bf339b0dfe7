import { Injectable } from '@nestjs/common';
import { Kysely, Selectable } from 'kysely';
import { AuditEventsTable, DB, InjectKysely } from '../database';
import { AUDIT_EVENT_KEYS, type AuditEvent } from './audit-event';

export interface AuditEventFilter {
  type?: string;
  /** Normalised username. */
  username?: string;
  /** One IP, or any of several spellings of it (IPv4 and IPv4-mapped IPv6). */
  ip?: string | string[];
  outcome?: string;
  /** Inclusive ISO-8601 lower bound. */
  from?: string;
  /** Exclusive ISO-8601 upper bound. */
  to?: string;
}

/** All audit-event I/O. Other modules reach it only through AuditService. */
export abstract class AuditRepository {
  /** Resolves once the row is committed; returns its id. */
  abstract insert(event: Omit<AuditEvent, 'id'>): Promise<number>;
  /** Newest first; `beforeId` is the cursor (exclusive). */
  abstract list(filter: AuditEventFilter, limit: number, beforeId?: number): Promise<AuditEvent[]>;
  /** Events with `afterId < id`, oldest first, in pages, for streaming reviews and seals. */
  abstract listAfterId(
    afterId: number,
    limit: number,
    filter?: AuditEventFilter,
  ): Promise<AuditEvent[]>;
  /** Deletes up to `batchSize` events older than `before`; returns how many it deleted. */
  abstract deleteOlderThan(before: string, batchSize: number): Promise<number>;
  abstract count(filter?: AuditEventFilter): Promise<number>;
}

type AuditRow = Selectable<AuditEventsTable>;

export function auditEventFromRow(row: AuditRow): AuditEvent {
  const event: AuditEvent = {
    id: Number(row.id),
    ts: row.ts,
    type: row.type as AuditEvent['type'],
    level: row.level as AuditEvent['level'],
    outcome: row.outcome as AuditEvent['outcome'],
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    method: row.method,
    path: row.path,
  };
  if (row.username !== null) event.username = row.username;
  if (row.user_id !== null) event.userId = row.user_id;
  if (row.reason !== null) event.reason = row.reason;
  if (row.session_ref !== null) event.sessionRef = row.session_ref;
  if (row.details !== null) event.details = JSON.parse(row.details) as Record<string, unknown>;
  return orderEventKeys(event);
}

/** The key order of API.md, so the row, the JSON line and the seal input are the same text. */
export function orderEventKeys(event: AuditEvent): AuditEvent {
  const ordered: Record<string, unknown> = {};
  for (const key of AUDIT_EVENT_KEYS) {
    if (event[key] !== undefined) ordered[key] = event[key];
  }
  return ordered as unknown as AuditEvent;
}

@Injectable()
export class KyselyAuditRepository extends AuditRepository {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async insert(event: Omit<AuditEvent, 'id'>): Promise<number> {
    const row = await this.db
      .insertInto('audit_events')
      .values({
        ts: event.ts,
        type: event.type,
        level: event.level,
        outcome: event.outcome,
        username: event.username ?? null,
        user_id: event.userId ?? null,
        reason: event.reason ?? null,
        ip: event.ip,
        user_agent: event.userAgent,
        request_id: event.requestId,
        method: event.method,
        path: event.path,
        session_ref: event.sessionRef ?? null,
        details: event.details === undefined ? null : JSON.stringify(event.details),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  private filtered(filter: AuditEventFilter) {
    let query = this.db.selectFrom('audit_events');
    // `!== undefined`, not truthiness: an empty value filters (to nothing), never to everything.
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    if (filter.username !== undefined) query = query.where('username', '=', filter.username);
    if (typeof filter.ip === 'string') query = query.where('ip', '=', filter.ip);
    else if (filter.ip !== undefined)
      query = query.where('ip', 'in', filter.ip.length > 0 ? filter.ip : ['']);
    if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
    if (filter.from !== undefined) query = query.where('ts', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('ts', '<', filter.to);
    return query;
  }

  async list(filter: AuditEventFilter, limit: number, beforeId?: number): Promise<AuditEvent[]> {
    let query = this.filtered(filter).selectAll();
    if (beforeId !== undefined) query = query.where('id', '<', beforeId);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(auditEventFromRow);
  }

  async listAfterId(
    afterId: number,
    limit: number,
    filter: AuditEventFilter = {},
  ): Promise<AuditEvent[]> {
    const rows = await this.filtered(filter)
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(auditEventFromRow);
  }

  async deleteOlderThan(before: string, batchSize: number): Promise<number> {
    const batch = this.db
      .selectFrom('audit_events')
      .select('id')
      .where('ts', '<', before)
      .orderBy('id', 'asc')
      .limit(batchSize);
    const result = await this.db
      .deleteFrom('audit_events')
      .where('id', 'in', batch)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async count(filter: AuditEventFilter = {}): Promise<number> {
    const row = await this.filtered(filter)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
