import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHmac, Hmac, timingSafeEqual } from 'node:crypto';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import {
  CANONICAL_CHUNK_CHARS,
  CanonicalBatch,
  CanonicalEvent,
  ReviewRepository,
} from './review.repository';
import { ResealedSeal, SealHead, SealRecord, SealsRepository } from './seals.repository';
import { errorMessage } from '../../common';

export const GENESIS_HASH = '0'.repeat(64);
/** The format new seals are written in (see `sealMac`). */
export const SEAL_FORMAT = 2;
const SEAL_PAGE = 2000;

export type BrokenSealReason =
  | 'chain_broken'
  | 'chain_truncated'
  | 'seal_modified'
  | 'event_deleted'
  | 'event_inserted'
  | 'event_modified';

export interface IntegrityReport {
  ok: boolean;
  /** Time up to which the trail is sealed (the last seal's window end). */
  sealedThrough: string | null;
  seals: number;
  /** Seals whose oldest events have passed the retention and may be pruned; not recomputed. */
  retiredSeals: number;
  /**
   * The first seal that does not hold. For `chain_truncated` (the head anchor does not match
   * the chain: newest seals deleted), the last seal still present, or 0 when none is.
   */
  firstBrokenSeal: { id: number; reason: BrokenSealReason } | null;
}

/** The fields a format-2 seal's MAC covers: every one that decides how the seal is verified. */
export interface SealFields {
  seq: number;
  previousHash: string;
  runId: string;
  firstEventId: number;
  lastEventId: number;
  eventCount: number;
  firstEventTs?: string;
  lastEventTs?: string;
  sealedThrough: string;
  createdAt: number;
  eventsDigest?: string;
}

/**
 * A format-2 seal's MAC: its place in the chain, the previous hash, its window end, its first
 * and last event (id and time), the count, and the digest of its event lines. Retirement is
 * decided from `firstEventTs` and the clock, so back-dating it breaks this MAC.
 */
export function sealMac(key: Buffer, s: SealFields): string {
  return createHmac('sha256', key)
    .update(
      JSON.stringify([
        'gatehouse-seal-v2',
        s.seq,
        s.previousHash,
        s.runId,
        s.firstEventId,
        s.lastEventId,
        s.eventCount,
        s.firstEventTs ?? null,
        s.lastEventTs ?? null,
        s.sealedThrough,
        s.createdAt,
        s.eventsDigest ?? null,
      ]),
    )
    .digest('hex');
}

/** The head anchor's MAC: how many seals the chain has and the hash of the last one. */
export function headMac(key: Buffer, sealCount: number, lastHash: string): string {
  return createHmac('sha256', key)
    .update(JSON.stringify(['gatehouse-seal-head-v1', sealCount, lastHash]))
    .digest('hex');
}

function sameHex(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Seals make the audit trail tamper-evident. A seal (format 2) is an HMAC-SHA256, keyed from
 * AUDIT_SEAL_KEY, over every field that decides how it is verified (`sealMac`), one of which
 * is the HMAC of the canonical JSON of every event since the previous seal, in id order (the
 * same text as the JSON-lines file). The head of the chain is anchored by a row with its own
 * MAC over the number of seals and the last hash, so deleting the newest seals is detected.
 * Seals written before format 2 are re-sealed on start, once their legacy chain verifies.
 */
@Injectable()
export class AuditSealService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditSeal');
  private readonly key: Buffer;
  private upgrading?: Promise<void>;

  constructor(
    private readonly repository: ReviewRepository,
    private readonly seals: SealsRepository,
    @InjectAuditOptions() private readonly options: AuditModuleOptions,
  ) {
    // A key of its own, derived from the seal key, so no other HMAC of that key can forge a seal.
    this.key = createHmac('sha256', options.sealKey).update('gatehouse:audit-seal').digest();
  }

  onApplicationBootstrap(): void {
    // In the background: a large legacy chain takes a while to recompute, and the first
    // review or verification waits for the same promise.
    this.ensureUpgraded().catch((error: unknown) => {
      this.logger.error(`Could not re-seal the legacy seals: ${errorMessage(error)}`);
    });
  }

  /**
   * Anchors a head fresh from migration 0003 and re-seals legacy (format 1) seals in format 2,
   * once per process; a no-op when the head is already anchored.
   */
  ensureUpgraded(now = Date.now()): Promise<void> {
    this.upgrading ??= this.upgradeLegacy(now).catch((error: unknown) => {
      this.upgrading = undefined;
      throw error;
    });
    return this.upgrading;
  }

  /**
   * Starts the next seal of the chain: feed it, in id order, every event after
   * `digest.afterId`, then `store` it. The review feeds it from its own pass over the window,
   * so the events are read once.
   */
  async begin(): Promise<SealDigest> {
    await this.ensureUpgraded();
    const previous = await this.seals.lastSeal();
    return new SealDigest(
      this.key,
      previous?.hash ?? GENESIS_HASH,
      previous?.lastEventId ?? 0,
      (previous?.seq ?? 0) + 1,
    );
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
    const fields: SealFields = {
      seq: digest.seq,
      previousHash: digest.previousHash,
      runId,
      firstEventId: result.firstId!,
      lastEventId: result.lastId!,
      eventCount: result.count,
      firstEventTs: result.firstTs,
      lastEventTs: result.lastTs,
      sealedThrough,
      createdAt: now,
      eventsDigest: result.eventsDigest,
    };
    const hash = sealMac(this.key, fields);
    return this.seals.insertSeal(
      { ...fields, format: SEAL_FORMAT, hash },
      { sealCount: digest.seq - 1, lastHash: digest.previousHash, mac: null },
      { sealCount: digest.seq, lastHash: hash, mac: headMac(this.key, digest.seq, hash) },
    );
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
    await this.feed([digest], digest.afterId, throughId);
    return this.store(runId, digest, sealedThrough, now);
  }

  /** Recomputes every seal, oldest first, names the first that does not hold, then checks the head. */
  async verify(now = Date.now()): Promise<IntegrityReport> {
    await this.ensureUpgraded(now);
    const retentionCutoff = new Date(now - this.options.retentionDays * 86_400_000).toISOString();
    // Read before the walk: a seal written meanwhile is past the head, and checked on its own.
    const head = await this.seals.head();
    const anchored = head !== undefined && head.mac !== null;
    let expectedPrevious = GENESIS_HASH;
    let previousLastId = 0;
    let seals = 0;
    let retiredSeals = 0;
    let formatTwo = false;
    let hashAtHead = head?.sealCount === 0 ? GENESIS_HASH : undefined;
    let last: SealRecord | undefined;
    for (let afterId = 0; ;) {
      const page = await this.seals.listSeals(afterId, 100);
      if (page.length === 0) break;
      for (const seal of page) {
        seals += 1;
        last = seal;
        let broken: BrokenSealReason | 'retired' | undefined;
        if (seal.format === 1) {
          // After the re-seal no legacy seal remains; one under an anchored head is forged.
          broken = anchored
            ? 'chain_broken'
            : await this.checkLegacy(seal, expectedPrevious, previousLastId, retentionCutoff);
        } else {
          formatTwo = true;
          broken = await this.check(seal, expectedPrevious, previousLastId, seals, retentionCutoff);
        }
        if (broken === 'retired') retiredSeals += 1;
        else if (broken) {
          return {
            ok: false,
            sealedThrough: seal.sealedThrough,
            seals: await this.seals.countSeals(),
            retiredSeals,
            firstBrokenSeal: { id: seal.id, reason: broken },
          };
        }
        if (head && seals === head.sealCount) hashAtHead = seal.hash;
        expectedPrevious = seal.hash;
        previousLastId = seal.lastEventId;
      }
      afterId = page[page.length - 1].id;
    }
    if (!this.headHolds(head, hashAtHead, formatTwo)) {
      return {
        ok: false,
        sealedThrough: last?.sealedThrough ?? null,
        seals,
        retiredSeals,
        firstBrokenSeal: { id: last?.id ?? 0, reason: 'chain_truncated' },
      };
    }
    return {
      ok: true,
      sealedThrough: last?.sealedThrough ?? null,
      seals,
      retiredSeals,
      firstBrokenSeal: null,
    };
  }

  /**
   * The anchor holds when its MAC is genuine and the seal at its count has its hash. Missing
   * (migration 0003 always creates it) or unanchored while format-2 seals exist: truncated.
   */
  private headHolds(
    head: SealHead | undefined,
    hashAtHead: string | undefined,
    formatTwo: boolean,
  ): boolean {
    if (!head) return false;
    if (head.mac === null) return !formatTwo;
    if (!sameHex(head.mac, headMac(this.key, head.sealCount, head.lastHash))) return false;
    return hashAtHead !== undefined && sameHex(hashAtHead, head.lastHash);
  }

  private async check(
    seal: SealRecord,
    expectedPrevious: string,
    previousLastId: number,
    position: number,
    retentionCutoff: string,
  ): Promise<BrokenSealReason | 'retired' | undefined> {
    if (seal.previousHash !== expectedPrevious || seal.seq !== position) return 'chain_broken';
    if (!sameHex(seal.hash, sealMac(this.key, { ...seal, seq: position }))) return 'seal_modified';
    // Retention may have pruned part of this seal's events; its fields and link hold (above).
    // `firstEventTs` is inside the MAC, so only the clock decides this.
    if (seal.firstEventTs !== undefined && seal.firstEventTs < retentionCutoff) return 'retired';
    const digest = new SealDigest(this.key, seal.previousHash, previousLastId, position);
    await this.feed([digest], previousLastId, seal.lastEventId);
    const result = digest.finish();
    if (result.count < seal.eventCount) return 'event_deleted';
    if (result.count > seal.eventCount) return 'event_inserted';
    if (!sameHex(seal.eventsDigest, result.eventsDigest) || result.firstId !== seal.firstEventId)
      return 'event_modified';
    return undefined;
  }

  /** A format-1 seal, before its re-seal: the events-only MAC of the first chain format. */
  private async checkLegacy(
    seal: SealRecord,
    expectedPrevious: string,
    previousLastId: number,
    retentionCutoff: string,
  ): Promise<BrokenSealReason | 'retired' | undefined> {
    if (seal.previousHash !== expectedPrevious) return 'chain_broken';
    if (seal.firstEventTs !== undefined && seal.firstEventTs < retentionCutoff) return 'retired';
    const digest = new LegacySealDigest(this.key, seal.previousHash);
    await this.feed([digest], previousLastId, seal.lastEventId);
    const result = digest.finish();
    if (result.count < seal.eventCount) return 'event_deleted';
    if (result.count > seal.eventCount) return 'event_inserted';
    if (result.hash !== seal.hash || result.firstId !== seal.firstEventId) return 'event_modified';
    return undefined;
  }

  /**
   * Format-1 seals kept `first_event_ts` (which decides retirement) outside their MAC. They
   * are re-sealed in format 2 here, in one transaction with the head's first anchor, but only
   * once their whole legacy chain verifies; a broken legacy chain is left for `verify` to
   * report. A legacy seal already past the retention by its stored time cannot be recomputed:
   * its time is trusted this once, and its old hash stands in for its events' digest.
   */
  private async upgradeLegacy(now: number): Promise<void> {
    const head = await this.seals.head();
    if (!head || head.mac !== null) return;
    const legacy: SealRecord[] = [];
    for (let afterId = 0; ;) {
      const page = await this.seals.listSeals(afterId, 500);
      if (page.length === 0) break;
      legacy.push(...page);
      afterId = page[page.length - 1].id;
    }
    // Format-2 seals under an unanchored head were not written by this code: leave them to verify.
    if (legacy.some((seal) => seal.format !== 1)) return;
    const retentionCutoff = new Date(now - this.options.retentionDays * 86_400_000).toISOString();
    const resealed: ResealedSeal[] = [];
    let oldPrevious = GENESIS_HASH;
    let newPrevious = GENESIS_HASH;
    let previousLastId = 0;
    for (const [index, seal] of legacy.entries()) {
      const seq = index + 1;
      if (seal.previousHash !== oldPrevious) return this.refuseUpgrade(seal, 'chain_broken');
      let fields: Pick<SealFields, 'firstEventTs' | 'lastEventTs' | 'eventsDigest'>;
      if (seal.firstEventTs !== undefined && seal.firstEventTs < retentionCutoff) {
        fields = { firstEventTs: seal.firstEventTs, eventsDigest: `v1:${seal.hash}` };
      } else {
        const old = new LegacySealDigest(this.key, seal.previousHash);
        const next = new SealDigest(this.key, newPrevious, previousLastId, seq);
        await this.feed([old, next], previousLastId, seal.lastEventId);
        const before = old.finish();
        if (
          before.count !== seal.eventCount ||
          before.hash !== seal.hash ||
          before.firstId !== seal.firstEventId
        ) {
          return this.refuseUpgrade(seal, 'events do not match');
        }
        const after = next.finish();
        fields = {
          firstEventTs: after.firstTs,
          lastEventTs: after.lastTs,
          eventsDigest: after.eventsDigest,
        };
      }
      const sealFields: SealFields = { ...seal, ...fields, seq, previousHash: newPrevious };
      const hash = sealMac(this.key, sealFields);
      resealed.push({
        id: seal.id,
        format: SEAL_FORMAT,
        seq,
        firstEventId: seal.firstEventId,
        lastEventId: seal.lastEventId,
        eventCount: seal.eventCount,
        sealedThrough: seal.sealedThrough,
        ...fields,
        previousHash: newPrevious,
        hash,
      });
      oldPrevious = seal.hash;
      newPrevious = hash;
      previousLastId = seal.lastEventId;
    }
    const count = resealed.length;
    const done = await this.seals.reseal(
      resealed,
      { sealCount: count, lastHash: newPrevious, mac: headMac(this.key, count, newPrevious) },
      now,
    );
    if (done && count > 0) this.logger.log(`Re-sealed ${count} legacy seals in format 2`);
  }

  private refuseUpgrade(seal: SealRecord, why: string): void {
    this.logger.error(
      `Legacy seal #${seal.id} does not verify (${why}); the chain is not re-sealed, and audit:verify reports it`,
    );
  }

  private async feed(
    digests: readonly EventLinesDigest[],
    afterId: number,
    throughId: number,
  ): Promise<void> {
    for (let cursor = afterId; ;) {
      const events = await this.repository.listCanonicalEvents(cursor, throughId, SEAL_PAGE);
      if (events.length === 0) break;
      for (const digest of digests) digest.addPage(events);
      cursor = events[events.length - 1].id;
      if (events.length < SEAL_PAGE) break;
    }
  }
}

export interface SealResult {
  /** The HMAC of the event lines (format 2), which the seal's own MAC covers. */
  eventsDigest: string;
  count: number;
  firstId?: number;
  lastId?: number;
  /** The oldest `ts` among the sealed events. */
  firstTs?: string;
  /** The newest `ts` among the sealed events. */
  lastTs?: string;
}

/** An HMAC over canonical event lines, in id order, with the span it saw. */
abstract class EventLinesDigest {
  protected readonly hmac: Hmac;
  protected count = 0;
  protected firstId: number | undefined;
  protected lastId: number | undefined;
  protected firstTs: string | undefined;
  protected lastTs: string | undefined;

  protected constructor(key: Buffer, prefix: string) {
    this.hmac = createHmac('sha256', key);
    this.hmac.update(prefix);
  }

  /** Events in id order, each after the previous seal. */
  addPage(events: readonly CanonicalEvent[]): void {
    const chunks: string[] = [];
    let text = '';
    let firstTs: string | undefined;
    let lastTs: string | undefined;
    for (const event of events) {
      text += `${event.text}\n`;
      if (text.length >= CANONICAL_CHUNK_CHARS) {
        chunks.push(text);
        text = '';
      }
      if (firstTs === undefined || event.ts < firstTs) firstTs = event.ts;
      if (lastTs === undefined || event.ts > lastTs) lastTs = event.ts;
    }
    if (text !== '') chunks.push(text);
    this.addBatch({
      chunks,
      count: events.length,
      firstId: events[0]?.id,
      lastId: events[events.length - 1]?.id,
      firstTs,
      lastTs,
    });
  }

  /** Canonical lines already joined, as the review's own pass reads them. */
  addBatch(batch: CanonicalBatch): void {
    if (batch.count === 0) return;
    for (const chunk of batch.chunks) this.hmac.update(chunk);
    this.count += batch.count;
    this.firstId ??= batch.firstId;
    this.lastId = batch.lastId;
    if (batch.firstTs !== undefined && (this.firstTs === undefined || batch.firstTs < this.firstTs))
      this.firstTs = batch.firstTs;
    if (batch.lastTs !== undefined && (this.lastTs === undefined || batch.lastTs > this.lastTs))
      this.lastTs = batch.lastTs;
  }

  protected digest(): string {
    this.hmac.update(`count=${this.count}\n`);
    return this.hmac.digest('hex');
  }
}

/** One seal being computed (format 2): the HMAC of its event lines, and its place in the chain. */
export class SealDigest extends EventLinesDigest {
  constructor(
    key: Buffer,
    readonly previousHash: string,
    /** The last event of the previous seal; this seal starts after it. */
    readonly afterId: number,
    /** This seal's place in the chain, from 1. */
    readonly seq: number,
  ) {
    super(key, 'gatehouse-seal-v2-events\n');
  }

  finish(): SealResult {
    return {
      eventsDigest: this.digest(),
      count: this.count,
      firstId: this.firstId,
      lastId: this.lastId,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
    };
  }
}

/** Format 1: the previous hash, the event lines and the count, and nothing else. */
class LegacySealDigest extends EventLinesDigest {
  constructor(key: Buffer, previousHash: string) {
    super(key, `gatehouse-seal-v1\n${previousHash}\n`);
  }

  finish(): { hash: string; count: number; firstId?: number } {
    return { hash: this.digest(), count: this.count, firstId: this.firstId };
  }
}
