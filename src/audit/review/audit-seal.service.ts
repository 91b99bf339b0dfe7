import { Injectable } from '@nestjs/common';
import { createHmac, Hmac } from 'node:crypto';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { ReviewRepository, SealRecord } from './review.repository';

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
   * Seals every event after the last seal up to `throughId`. Returns the new seal, or
   * undefined when there is nothing new to seal (an earlier window, or no events).
   */
  async seal(
    runId: string,
    throughId: number,
    sealedThrough: string,
    now = Date.now(),
  ): Promise<SealRecord | undefined> {
    const previous = await this.repository.lastSeal();
    const afterId = previous?.lastEventId ?? 0;
    if (throughId <= afterId) return undefined;
    const previousHash = previous?.hash ?? GENESIS_HASH;
    const digest = await this.digest(previousHash, afterId, throughId);
    if (digest.count === 0) return undefined;
    return this.repository.insertSeal({
      runId,
      firstEventId: digest.firstId!,
      lastEventId: digest.lastId!,
      eventCount: digest.count,
      sealedThrough,
      firstEventTs: digest.firstTs,
      previousHash,
      hash: digest.hash,
      createdAt: now,
    });
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
  ): Promise<{ hash: string; count: number; firstId?: number; lastId?: number; firstTs?: string }> {
    const hmac: Hmac = createHmac('sha256', this.key);
    hmac.update(`gatehouse-seal-v1\n${previousHash}\n`);
    let count = 0;
    let firstId: number | undefined;
    let lastId: number | undefined;
    let firstTs: string | undefined;
    for (let cursor = afterId; ;) {
      const events = await this.repository.listEventsForSeal(cursor, throughId, SEAL_PAGE);
      if (events.length === 0) break;
      let text = '';
      for (const event of events) {
        text += `${JSON.stringify(event)}\n`;
        if (firstTs === undefined || event.ts < firstTs) firstTs = event.ts;
      }
      hmac.update(text);
      count += events.length;
      firstId ??= events[0].id;
      lastId = events[events.length - 1].id;
      cursor = lastId;
      if (events.length < SEAL_PAGE) break;
    }
    hmac.update(`count=${count}\n`);
    return { hash: hmac.digest('hex'), count, firstId, lastId, firstTs };
  }
}
