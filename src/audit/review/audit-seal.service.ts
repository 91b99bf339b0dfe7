import { Injectable } from '@nestjs/common';
import { createHmac, Hmac } from 'node:crypto';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import {
  CANONICAL_CHUNK_CHARS,
  CanonicalBatch,
  CanonicalEvent,
  ReviewRepository,
  SealRecord,
} from './review.repository';

export const GENESIS_HASH = '0'.repeat(64);
const SEAL_PAGE = 2000;

export type BrokenSealReason =
  'chain_broken' | 'event_deleted' | 'event_inserted' | 'event_modified';

export interface IntegrityReport {
  ok: boolean;
  /** Time up to which the trail is sealed (the last seal's window end). */
  sealedThrough: string | null;
  seals: number;
  /** Seals whose oldest events have passed the retention and may be pruned; not recomputed. */
  retiredSeals: number;
  firstBrokenSeal: { id: number; reason: BrokenSealReason } | null;
}

/**
 * Seals make the audit trail tamper-evident. Each seal is an HMAC-SHA256, keyed from
 * AUDIT_SEAL_KEY, over the previous seal's hash and then the canonical JSON of every event
 * since the previous seal, in id order (the same text as the JSON-lines file). Editing,
 * deleting or inserting a sealed row, or removing a seal, breaks the chain at that seal.
 */
@Injectable()
export class AuditSealService {
  private readonly key: Buffer;

  constructor(
    private readonly repository: ReviewRepository,
    @InjectAuditOptions() private readonly options: AuditModuleOptions,
  ) {
    // A key of its own, derived from the seal key, so no other HMAC of that key can forge a seal.
    this.key = createHmac('sha256', options.sealKey).update('gatehouse:audit-seal').digest();
  }

  /**
   * Starts the next seal of the chain: feed it, in id order, every event after
   * `digest.afterId`, then `store` it. The review feeds it from its own pass over the window,
   * so the events are read once.
   */
  async begin(): Promise<SealDigest> {
    const previous = await this.repository.lastSeal();
    return new SealDigest(this.key, previous?.hash ?? GENESIS_HASH, previous?.lastEventId ?? 0);
  }

  /** Stores the digest as the next seal; undefined when it covers no event. */
  async store(
    runId: string,
    digest: SealDigest,
    sealedThrough: string,
    now = Date.now(),
  ): Promise<SealRecord | undefined> {
    const result = digest.finish();
    if (result.count === 0) return undefined;
    return this.repository.insertSeal({
      runId,
      firstEventId: result.firstId!,
      lastEventId: result.lastId!,
      eventCount: result.count,
      sealedThrough,
      firstEventTs: result.firstTs,
      previousHash: digest.previousHash,
      hash: result.hash,
      createdAt: now,
    });
  }

  /**
   * Seals every event after the last seal up to `throughId`, reading them itself. Returns
   * the new seal, or undefined when there is nothing new to seal.
   */
  async seal(
    runId: string,
    throughId: number,
    sealedThrough: string,
    now = Date.now(),
  ): Promise<SealRecord | undefined> {
    const digest = await this.begin();
    if (throughId <= digest.afterId) return undefined;
    await this.feed(digest, digest.afterId, throughId);
    return this.store(runId, digest, sealedThrough, now);
  }

  /** Recomputes every seal, oldest first, and names the first that does not hold. */
  async verify(now = Date.now()): Promise<IntegrityReport> {
    const retentionCutoff = new Date(now - this.options.retentionDays * 86_400_000).toISOString();
    let expectedPrevious = GENESIS_HASH;
    let previousLastId = 0;
    let seals = 0;
    let retiredSeals = 0;
    let last: SealRecord | undefined;
    for (let afterId = 0; ;) {
      const page = await this.repository.listSeals(afterId, 100);
      if (page.length === 0) break;
      for (const seal of page) {
        seals += 1;
        last = seal;
        const broken = await this.check(seal, expectedPrevious, previousLastId, retentionCutoff);
        if (broken === 'retired') retiredSeals += 1;
        else if (broken) {
          return {
            ok: false,
            sealedThrough: seal.sealedThrough,
            seals: await this.repository.countSeals(),
            retiredSeals,
            firstBrokenSeal: { id: seal.id, reason: broken },
          };
        }
        expectedPrevious = seal.hash;
        previousLastId = seal.lastEventId;
      }
      afterId = page[page.length - 1].id;
    }
    return {
      ok: true,
      sealedThrough: last?.sealedThrough ?? null,
      seals,
      retiredSeals,
      firstBrokenSeal: null,
    };
  }

  private async check(
    seal: SealRecord,
    expectedPrevious: string,
    previousLastId: number,
    retentionCutoff: string,
  ): Promise<BrokenSealReason | 'retired' | undefined> {
    if (seal.previousHash !== expectedPrevious) return 'chain_broken';
    // Retention may have pruned part of this seal's events; its link was checked above.
    if (seal.firstEventTs !== undefined && seal.firstEventTs < retentionCutoff) return 'retired';
    const digest = await this.digest(seal.previousHash, previousLastId, seal.lastEventId);
    if (digest.count < seal.eventCount) return 'event_deleted';
    if (digest.count > seal.eventCount) return 'event_inserted';
    if (digest.hash !== seal.hash || digest.firstId !== seal.firstEventId) return 'event_modified';
    return undefined;
  }

  private async digest(
    previousHash: string,
    afterId: number,
    throughId: number,
  ): Promise<SealResult> {
    const digest = new SealDigest(this.key, previousHash, afterId);
    await this.feed(digest, afterId, throughId);
    return digest.finish();
  }

  private async feed(digest: SealDigest, afterId: number, throughId: number): Promise<void> {
    for (let cursor = afterId; ;) {
      const events = await this.repository.listCanonicalEvents(cursor, throughId, SEAL_PAGE);
      if (events.length === 0) break;
      digest.addPage(events);
      cursor = events[events.length - 1].id;
      if (events.length < SEAL_PAGE) break;
    }
  }
}

export interface SealResult {
  hash: string;
  count: number;
  firstId?: number;
  lastId?: number;
  /** The oldest `ts` among the sealed events. */
  firstTs?: string;
}

/** One seal being computed: the HMAC over the previous hash, then each canonical line. */
export class SealDigest {
  private readonly hmac: Hmac;
  private count = 0;
  private firstId: number | undefined;
  private lastId: number | undefined;
  private firstTs: string | undefined;

  constructor(
    key: Buffer,
    readonly previousHash: string,
    /** The last event of the previous seal; this seal starts after it. */
    readonly afterId: number,
  ) {
    this.hmac = createHmac('sha256', key);
    this.hmac.update(`gatehouse-seal-v1\n${previousHash}\n`);
  }

  /** Events in id order, each after the previous seal. */
  addPage(events: readonly CanonicalEvent[]): void {
    const chunks: string[] = [];
    let text = '';
    let firstTs: string | undefined;
    for (const event of events) {
      text += `${event.text}\n`;
      if (text.length >= CANONICAL_CHUNK_CHARS) {
        chunks.push(text);
        text = '';
      }
      if (firstTs === undefined || event.ts < firstTs) firstTs = event.ts;
    }
    if (text !== '') chunks.push(text);
    this.addBatch({
      chunks,
      count: events.length,
      firstId: events[0]?.id,
      lastId: events[events.length - 1]?.id,
      firstTs,
    });
  }

  /** Canonical lines already joined, as the review's own pass reads them. */
  addBatch(batch: CanonicalBatch): void {
    if (batch.count === 0) return;
    for (const chunk of batch.chunks) this.hmac.update(chunk);
    this.count += batch.count;
    this.firstId ??= batch.firstId;
    this.lastId = batch.lastId;
    if (
      batch.firstTs !== undefined &&
      (this.firstTs === undefined || batch.firstTs < this.firstTs)
    ) {
      this.firstTs = batch.firstTs;
    }
  }

  finish(): SealResult {
    this.hmac.update(`count=${this.count}\n`);
    return {
      hash: this.hmac.digest('hex'),
      count: this.count,
      firstId: this.firstId,
      lastId: this.lastId,
      firstTs: this.firstTs,
    };
  }
}
