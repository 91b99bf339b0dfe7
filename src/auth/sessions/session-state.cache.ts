import type { SessionState } from './session';

export const DEFAULT_SESSION_CACHE_SIZE = 100_000;
/**
 * How long a *live* entry is trusted. Revocations made in this process (or fanned out through
 * Redis) invalidate entries at once; this only bounds how late a revocation made by another
 * process without a shared bus (the CLI, a second instance without Redis) is noticed.
 */
export const DEFAULT_SESSION_CACHE_LIVE_TTL_MS = 15_000;

interface CacheEntry {
  state: SessionState;
  cachedAt: number;
}

/**
 * Process-local cache of session liveness, so the guard's hot path does no I/O. It is
 * invalidated precisely (per session id) by revocation events, never by a timer:
 * - an ended session becomes a tombstone (`ended: true`), even if it was not cached, so
 *   a lookup that read the database just before the revocation committed cannot put the
 *   live state back (`fill` never overwrites an entry);
 * - the size is bounded; the least recently inserted entry goes first (Map order), and a
 *   miss simply reads the database again.
 */
export class SessionStateCache {
  private readonly entries = new Map<string, CacheEntry>();
  private generation = 0;

  constructor(
    private readonly maxEntries = DEFAULT_SESSION_CACHE_SIZE,
    private readonly liveTtlMs = DEFAULT_SESSION_CACHE_LIVE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(sessionId: string): SessionState | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (!entry.state.ended && this.now() - entry.cachedAt > this.liveTtlMs) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.state;
  }

  /** Changes on every `clear()`; a read begun before a clear must not fill the cache after it. */
  get epoch(): number {
    return this.generation;
  }

  /**
   * Stores a state read from the database, unless a revocation got there first, or the cache
   * was cleared since the read began (`epoch` taken before the read).
   */
  fill(sessionId: string, state: SessionState, epoch = this.generation): void {
    if (epoch !== this.generation || this.entries.has(sessionId)) return;
    this.insert(sessionId, state);
  }

  /** Forgets everything (revocations may have been missed); the next lookups read the database. */
  clear(): void {
    this.entries.clear();
    this.generation++;
  }

  markEnded(sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) {
      const known = this.entries.get(sessionId);
      if (known) {
        known.state.ended = true;
      } else {
        this.insert(sessionId, { userId: '', usernameNormalized: '', expiresAt: 0, ended: true });
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private insert(sessionId: string, state: SessionState): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(sessionId, { state, cachedAt: this.now() });
  }
}
