import { Injectable } from '@nestjs/common';
import { Kysely, Selectable } from 'kysely';
import { AuditSealHeadTable, AuditSealsTable, DB, InjectKysely } from '../../database';

export interface SealRecord {
  id: number;
  /** 1: legacy (events-only MAC, fields outside it); 2: every verification field in the MAC. */
  format: number;
  /** Place in the chain, from 1 (format 2). */
  seq?: number;
  runId: string;
  firstEventId: number;
  lastEventId: number;
  eventCount: number;
  /** The end of the window the seal closed. */
  sealedThrough: string;
  firstEventTs?: string;
  lastEventTs?: string;
  /** HMAC of the seal's event lines (format 2). */
  eventsDigest?: string;
  previousHash: string;
  hash: string;
  createdAt: number;
}

export type NewSeal = Omit<SealRecord, 'id'>;

/** The anchored head of the chain: how many seals there are and the last one's hash. */
export interface SealHead {
  sealCount: number;
  lastHash: string;
  /** Null until the service first anchors the head (a database fresh from migration 0003). */
  mac: string | null;
}

/** A legacy seal rewritten in format 2 (same id, same events). */
export type ResealedSeal = Omit<SealRecord, 'runId' | 'createdAt'>;

/** Thrown when the chain's head moved between reading it and writing the next seal. */
export class SealChainMovedError extends Error {
  constructor() {
    super('the seal chain head moved (another seal was written, or the head is not anchored)');
  }
}

/** Persistence of the seal chain: the `audit_seals` rows and their anchored head. */
export abstract class SealsRepository {
  abstract lastSeal(): Promise<SealRecord | undefined>;
  /**
   * Appends a seal and moves the head to it in one transaction, only if the head is still
   * `expected` (count and last hash); otherwise throws SealChainMovedError.
   */
  abstract insertSeal(seal: NewSeal, expected: SealHead, head: SealHead): Promise<SealRecord>;
  /** Seals in chain order, `afterId < id`. */
  abstract listSeals(afterId: number, limit: number): Promise<SealRecord[]>;
  abstract countSeals(): Promise<number>;
  /** The head row; undefined when it is missing (deleted: migration 0003 always creates it). */
  abstract head(): Promise<SealHead | undefined>;
  /**
   * Rewrites legacy seals in format 2 and anchors the head, in one transaction, only if the
   * head is still unanchored; false when another process did it first.
   */
  abstract reseal(seals: ResealedSeal[], head: SealHead, now: number): Promise<boolean>;
}

type SealRow = Selectable<AuditSealsTable>;

function sealFromRow(row: SealRow): SealRecord {
  const seal: SealRecord = {
    id: Number(row.id),
    format: Number(row.format),
    runId: row.run_id,
    firstEventId: Number(row.first_event_id),
    lastEventId: Number(row.last_event_id),
    eventCount: Number(row.event_count),
    sealedThrough: row.sealed_through,
    previousHash: row.previous_hash,
    hash: row.hash,
    createdAt: Number(row.created_at),
  };
  if (row.seq !== null) seal.seq = Number(row.seq);
  if (row.first_event_ts !== null) seal.firstEventTs = row.first_event_ts;
  if (row.last_event_ts !== null) seal.lastEventTs = row.last_event_ts;
  if (row.events_digest !== null) seal.eventsDigest = row.events_digest;
  return seal;
}

function headFromRow(row: Selectable<AuditSealHeadTable>): SealHead {
  return { sealCount: Number(row.seal_count), lastHash: row.last_hash, mac: row.mac };
}

@Injectable()
export class KyselySealsRepository extends SealsRepository {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async lastSeal(): Promise<SealRecord | undefined> {
    const row = await this.db
      .selectFrom('audit_seals')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? sealFromRow(row) : undefined;
  }

  insertSeal(seal: NewSeal, expected: SealHead, head: SealHead): Promise<SealRecord> {
    return this.db.transaction().execute(async (trx) => {
      // The compare-and-set on the head row also serialises writers (its row lock on PostgreSQL).
      const moved = await trx
        .updateTable('audit_seal_head')
        .set({
          seal_count: head.sealCount,
          last_hash: head.lastHash,
          mac: head.mac,
          updated_at: seal.createdAt,
        })
        .where('id', '=', 1)
        .where('seal_count', '=', expected.sealCount)
        .where('last_hash', '=', expected.lastHash)
        .where('mac', 'is not', null)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) throw new SealChainMovedError();
      const row = await trx
        .insertInto('audit_seals')
        .values({
          format: seal.format,
          seq: seal.seq ?? null,
          run_id: seal.runId,
          first_event_id: seal.firstEventId,
          last_event_id: seal.lastEventId,
          event_count: seal.eventCount,
          sealed_through: seal.sealedThrough,
          first_event_ts: seal.firstEventTs ?? null,
          last_event_ts: seal.lastEventTs ?? null,
          events_digest: seal.eventsDigest ?? null,
          previous_hash: seal.previousHash,
          hash: seal.hash,
          created_at: seal.createdAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return sealFromRow(row);
    });
  }

  async listSeals(afterId: number, limit: number): Promise<SealRecord[]> {
    const rows = await this.db
      .selectFrom('audit_seals')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(sealFromRow);
  }

  async countSeals(): Promise<number> {
    const row = await this.db
      .selectFrom('audit_seals')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async head(): Promise<SealHead | undefined> {
    const row = await this.db
      .selectFrom('audit_seal_head')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst();
    return row ? headFromRow(row) : undefined;
  }

  reseal(seals: ResealedSeal[], head: SealHead, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const anchored = await trx
        .updateTable('audit_seal_head')
        .set({
          seal_count: head.sealCount,
          last_hash: head.lastHash,
          mac: head.mac,
          updated_at: now,
        })
        .where('id', '=', 1)
        .where('mac', 'is', null)
        .executeTakeFirst();
      if (Number(anchored.numUpdatedRows) !== 1) return false;
      for (const seal of seals) {
        await trx
          .updateTable('audit_seals')
          .set({
            format: seal.format,
            seq: seal.seq ?? null,
            first_event_ts: seal.firstEventTs ?? null,
            last_event_ts: seal.lastEventTs ?? null,
            events_digest: seal.eventsDigest ?? null,
            previous_hash: seal.previousHash,
            hash: seal.hash,
          })
          .where('id', '=', seal.id)
          .execute();
      }
      return true;
    });
  }
}
