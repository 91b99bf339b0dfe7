import type { Block, BlockKind } from '../block';
import { BlocksRepository, NewBlock } from '../blocks.repository';

interface StoredBlock extends NewBlock {
  liftedAt: number | null;
}

/** Blocks in a Map, following the rules of KyselyBlocksRepository (see its spec). */
export class InMemoryBlocksRepository extends BlocksRepository {
  readonly blocks = new Map<string, StoredBlock>();
  /** (username, IP) pairs with a successful login, and when (ISO time). */
  readonly logins: { username: string; ip: string; ts: string }[] = [];

  insert(block: NewBlock): Promise<void> {
    this.blocks.set(block.id, { ...block, liftedAt: null });
    return Promise.resolve();
  }

  findActive(subjects: { kind: BlockKind; subject: string }[], now: number): Promise<Block[]> {
    const active = this.inForce(now)
      .filter((b) => subjects.some((s) => s.kind === b.kind && s.subject === b.subject))
      .sort((a, b) => b.expiresAt - a.expiresAt);
    return Promise.resolve(active.map(view));
  }

  listActive(now: number, limit: number, afterId?: string): Promise<Block[]> {
    const page = this.inForce(now)
      .filter((b) => afterId === undefined || b.id > afterId)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    return Promise.resolve(page.map(view));
  }

  lift(id: string, now: number): Promise<Block | undefined> {
    const block = this.inForce(now).find((b) => b.id === id);
    if (block) block.liftedAt = now;
    return Promise.resolve(block && view(block));
  }

  liftAllFor(kind: BlockKind, subject: string, now: number): Promise<number> {
    const lifted = this.inForce(now).filter((b) => b.kind === kind && b.subject === subject);
    for (const block of lifted) block.liftedAt = now;
    return Promise.resolve(lifted.length);
  }

  countFor(kind: BlockKind, subject: string): Promise<number> {
    const all = [...this.blocks.values()];
    return Promise.resolve(all.filter((b) => b.kind === kind && b.subject === subject).length);
  }

  deleteExpired(before: number): Promise<number> {
    let deleted = 0;
    for (const [id, block] of this.blocks) {
      if (block.expiresAt < before) deleted += Number(this.blocks.delete(id));
    }
    return Promise.resolve(deleted);
  }

  loggedInFrom(usernameNormalized: string, ip: string, since: string): Promise<boolean> {
    return Promise.resolve(
      this.logins.some((l) => l.username === usernameNormalized && l.ip === ip && l.ts >= since),
    );
  }

  private inForce(now: number): StoredBlock[] {
    return [...this.blocks.values()].filter((b) => b.liftedAt === null && b.expiresAt > now);
  }
}

function view(block: StoredBlock): Block {
  const result: Block = {
    id: block.id,
    kind: block.kind,
    subject: block.subject,
    reason: block.reason,
    createdAt: new Date(block.createdAt).toISOString(),
    expiresAt: new Date(block.expiresAt).toISOString(),
  };
  if (block.findingId !== undefined) result.findingId = block.findingId;
  return result;
}
