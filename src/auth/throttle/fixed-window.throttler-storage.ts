import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  hits: number;
  endsAt: number;
  blockedUntil: number;
}

/** How often idle windows are dropped (at most once per this many ms, during an increment). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The in-process store of the general rate limit: a fixed window per client and a block once
 * it is over the limit, the same algorithm as the Redis store of @nest-lab/throttler-storage-redis,
 * so one instance and several behave alike. O(1) per request whatever the limit: the stock
 * in-memory store keeps one timestamp per hit and filters them all on every request, which
 * costs O(RATE_LIMIT_PER_MINUTE) per request (profiled in docs/benchmarks.md).
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    if (now >= this.nextSweepAt) this.sweep(now);
    const id = `${key}:${throttlerName}`;
    let window = this.windows.get(id);
    if (window === undefined) {
      window = { hits: 0, endsAt: 0, blockedUntil: 0 };
      this.windows.set(id, window);
    }
    if (window.endsAt <= now) {
      window.hits = 0;
      window.endsAt = now + ttl;
    }
    window.hits += 1;
    let isBlocked = window.blockedUntil > now;
    if (!isBlocked && window.hits > limit) {
      window.blockedUntil = now + blockDuration;
      isBlocked = true;
    }
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.endsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockedUntil - now) / 1000) : 0,
    });
  }

  /** Clients currently tracked. */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [id, window] of this.windows) {
      if (window.endsAt <= now && window.blockedUntil <= now) this.windows.delete(id);
    }
    this.nextSweepAt = now + SWEEP_INTERVAL_MS;
  }
}
