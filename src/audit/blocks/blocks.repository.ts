import { Injectable } from '@nestjs/common';
import { Kysely, Selectable } from 'kysely';
import { BlocksTable, DB, InjectKysely } from '../../database';
import type { Block, BlockKind } from './block';

export interface NewBlock {
  id: string;
  kind: BlockKind;
  subject: string;
  reason: string;
  createdAt: number;
  expiresAt: number;
  findingId?: string;
}

export abstract class BlocksRepository {
  abstract insert(block: NewBlock): Promise<void>;
  /** Blocks in force at `now` for any of the given subjects, longest-lasting first. */
  abstract findActive(
    subjects: { kind: BlockKind; subject: string }[],
    now: number,
  ): Promise<Block[]>;
  abstract listActive(now: number, limit: number, afterId?: string): Promise<Block[]>;
  /** Marks one block lifted; false when it was not in force. */
  abstract lift(id: string, now: number): Promise<Block | undefined>;
  abstract liftAllFor(kind: BlockKind, subject: string, now: number): Promise<number>;
  /** How many blocks this subject has had, in force or not; sizes repeat-offender blocks. */
  abstract countFor(kind: BlockKind, subject: string): Promise<number>;
  abstract deleteExpired(before: number): Promise<number>;
  /** Whether the account logged in successfully from this IP at or after `since` (ISO time). */
  abstract loggedInFrom(usernameNormalized: string, ip: string, since: string): Promise<boolean>;
}

const SUCCESS_TYPES = ['authn_login_success', 'authn_login_successafterfail'];

function blockFromRow(row: Selectable<BlocksTable>): Block {
  const block: Block = {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    reason: row.reason,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    expiresAt: new Date(Number(row.expires_at)).toISOString(),
  };
  if (row.finding_id !== null) block.findingId = row.finding_id;
  return block;
}

@Injectable()
export class KyselyBlocksRepository extends BlocksRepository {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async insert(block: NewBlock): Promise<void> {
    await this.db
      .insertInto('blocks')
      .values({
        id: block.id,
        kind: block.kind,
        subject: block.subject,
        reason: block.reason,
        created_at: block.createdAt,
        expires_at: block.expiresAt,
        finding_id: block.findingId ?? null,
        lifted_at: null,
      })
      .execute();
  }

  async findActive(
    subjects: { kind: BlockKind; subject: string }[],
    now: number,
  ): Promise<Block[]> {
    if (subjects.length === 0) return [];
    const rows = await this.db
      .selectFrom('blocks')
      .selectAll()
      .where('expires_at', '>', now)
      .where('lifted_at', 'is', null)
      .where((eb) =>
        eb.or(
          subjects.map((s) => eb.and([eb('kind', '=', s.kind), eb('subject', '=', s.subject)])),
        ),
      )
      .orderBy('expires_at', 'desc')
      .execute();
    return rows.map(blockFromRow);
  }

  async listActive(now: number, limit: number, afterId?: string): Promise<Block[]> {
    let query = this.db
      .selectFrom('blocks')
      .selectAll()
      .where('expires_at', '>', now)
      .where('lifted_at', 'is', null);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id', 'asc').limit(limit).execute();
    return rows.map(blockFromRow);
  }

  async lift(id: string, now: number): Promise<Block | undefined> {
    const row = await this.db
      .updateTable('blocks')
      .set({ lifted_at: now })
      .where('id', '=', id)
      .where('lifted_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row ? blockFromRow(row) : undefined;
  }

  async liftAllFor(kind: BlockKind, subject: string, now: number): Promise<number> {
    const result = await this.db
      .updateTable('blocks')
      .set({ lifted_at: now })
      .where('kind', '=', kind)
      .where('subject', '=', subject)
      .where('lifted_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async countFor(kind: BlockKind, subject: string): Promise<number> {
    const row = await this.db
      .selectFrom('blocks')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('kind', '=', kind)
      .where('subject', '=', subject)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async deleteExpired(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('blocks')
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The audit trail is the record: by the (username, ts) index, then the IP. */
  async loggedInFrom(usernameNormalized: string, ip: string, since: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('audit_events')
      .select('id')
      .where('username', '=', usernameNormalized)
      .where('ts', '>=', since)
      .where('ip', '=', ip)
      .where('type', 'in', SUCCESS_TYPES)
      .where('outcome', '=', 'success')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
