import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CursorCodec, Page, readPage } from '../../common';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { AuditService } from '../audit.service';
import type { Block, BlockKind } from './block';
import { BlocksRepository } from './blocks.repository';

export interface PlaceBlock {
  kind: BlockKind;
  subject: string;
  reason: string;
  durationSeconds: number;
  findingId?: string;
}

/** IP blocks and account locks placed by the review or by an admin; login honours them. */
/** The cursor of a blocks page: the id of its last block. */
const BLOCKS_CURSOR = new CursorCodec<string>(
  'bk1:',
  (id) => id,
  (text) => (text.length > 0 && text.length <= 128 ? text : undefined),
);

@Injectable()
export class BlocksService {
  constructor(
    private readonly repository: BlocksRepository,
    private readonly audit: AuditService,
    @InjectAuditOptions() private readonly options: AuditModuleOptions,
  ) {}

  /**
   * The block in force for this login (IP first, then account), if any. An account lock
   * follows the login lockout's rule (API.md): it refuses only IPs that never logged into the
   * account successfully within `AUDIT_RETENTION_DAYS`, so the owner keeps logging in from
   * the IPs it has used, and an attacker cannot lock a victim out through the review
   * (issue 10, item 6). Only the review places account locks.
   */
  async findActiveForLogin(
    ip: string,
    usernameNormalized: string,
    now = Date.now(),
  ): Promise<Block | undefined> {
    const active = await this.repository.findActive(
      [
        { kind: 'ip', subject: ip },
        { kind: 'account', subject: usernameNormalized },
      ],
      now,
    );
    const ipBlock = active.find((block) => block.kind === 'ip');
    if (ipBlock || active.length === 0) return ipBlock;
    const since = new Date(now - this.options.retentionDays * 86_400_000).toISOString();
    if (await this.repository.loggedInFrom(usernameNormalized, ip, since)) return undefined;
    return active[0];
  }

  /**
   * Places a block unless one already covers the subject (measures are idempotent); returns
   * the block in force and whether this call created it. Audited as `ip_blocked` or
   * `authn_login_lock`.
   */
  async place(request: PlaceBlock, now = Date.now()): Promise<{ block: Block; created: boolean }> {
    const [existing] = await this.repository.findActive(
      [{ kind: request.kind, subject: request.subject }],
      now,
    );
    if (existing) return { block: existing, created: false };
    const id = randomUUID();
    const expiresAt = now + request.durationSeconds * 1000;
    await this.repository.insert({
      id,
      kind: request.kind,
      subject: request.subject,
      reason: request.reason,
      createdAt: now,
      expiresAt,
      findingId: request.findingId,
    });
    await this.audit.record(
      request.kind === 'ip'
        ? {
            type: 'ip_blocked',
            outcome: 'success',
            level: 'WARN',
            details: {
              blockId: id,
              ip: request.subject,
              reason: request.reason,
              expiresAt: new Date(expiresAt).toISOString(),
            },
          }
        : {
            type: 'authn_login_lock',
            outcome: 'success',
            level: 'WARN',
            username: request.subject,
            reason: 'locked',
            details: {
              blockId: id,
              reason: request.reason,
              expiresAt: new Date(expiresAt).toISOString(),
            },
          },
    );
    const [block] = await this.repository.findActive(
      [{ kind: request.kind, subject: request.subject }],
      now,
    );
    return { block, created: true };
  }

  /** How many blocks the subject has had before; repeat offenders get longer ones. */
  previousBlockCount(kind: BlockKind, subject: string): Promise<number> {
    return this.repository.countFor(kind, subject);
  }

  list(limit: number, afterId?: string, now = Date.now()): Promise<Block[]> {
    return this.repository.listActive(now, limit, afterId);
  }

  /** One page of the blocks in force, for `GET /audit/blocks`. */
  page(limit: number, cursor?: string, now = Date.now()): Promise<Page<Block>> {
    const afterId = BLOCKS_CURSOR.decodeOptional(cursor);
    return readPage(
      limit,
      (take) => this.list(take, afterId, now),
      (last) => BLOCKS_CURSOR.encode(last.id),
    );
  }

  /** Lifts one block; audited. Returns undefined for an unknown or already lifted id. */
  async lift(id: string, now = Date.now()): Promise<Block | undefined> {
    const block = await this.repository.lift(id, now);
    if (block) {
      await this.audit.record({
        type: 'ip_unblocked',
        outcome: 'success',
        username: block.kind === 'account' ? block.subject : undefined,
        details: { blockId: block.id, kind: block.kind, subject: block.subject },
      });
    }
    return block;
  }

  /** Lifts every account lock of a user (admin unlock). */
  liftAccountLocks(usernameNormalized: string, now = Date.now()): Promise<number> {
    return this.repository.liftAllFor('account', usernameNormalized, now);
  }

  deleteExpired(now = Date.now()): Promise<number> {
    return this.repository.deleteExpired(now);
  }
}
