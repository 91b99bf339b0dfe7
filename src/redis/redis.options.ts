/** How this instance reaches the shared Redis (config `redis.*`). */
export interface RedisModuleOptions {
  /** `redis://…` or `rediss://…` (REDIS_URL). */
  url: string;
  /** Prefix of every key and channel (REDIS_KEY_PREFIX), so several deployments can share one Redis. */
  keyPrefix: string;
  /**
   * Upper bound for one command. Past it the caller falls back to the database, so a Redis that
   * hangs (rather than refuses) never holds a login for long. Default 1000 ms.
   */
  commandTimeoutMs?: number;
  /**
   * REDIS_HEARTBEAT_MS: the revocation feed is pinged every half of this, and counts as down
   * (the guard reads the database) while no ping sent within it has been answered. Default 1000.
   */
  heartbeatMs?: number;
}

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;

/** Reconnection delay after the n-th failed attempt: doubling from 100 ms, capped at 2 s. */
export function redisReconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 2000);
}
