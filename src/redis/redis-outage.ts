import type { Logger } from '@nestjs/common';
import { errorMessage } from '../common';

/** After a failure, Redis is tried again at most this often while it stays down. */
export const REDIS_RETRY_PAUSE_MS = 1000;

/**
 * The outage state of one Redis user (throttle store, rate limit, revocations):
 * - logs once when an outage starts and once when it ends, however many requests fail between,
 *   so an outage under load does not flood the log;
 * - after a failure, tells callers to skip Redis for `pauseMs`: a Redis that hangs rather than
 *   refuses costs one command timeout per pause, not one per request.
 */
export class RedisOutage {
  private down = false;
  private lastFailureAt = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
    private readonly what: string,
    private readonly pauseMs = REDIS_RETRY_PAUSE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  get active(): boolean {
    return this.down;
  }

  /** Whether to try Redis now (always, unless it failed less than `pauseMs` ago). */
  shouldTry(): boolean {
    return !this.down || this.clock() - this.lastFailureAt >= this.pauseMs;
  }

  /** The connection is ready again: end the pause, so the next call tries Redis. */
  retryNow(): void {
    this.lastFailureAt = 0;
  }

  failed(error: unknown): void {
    this.lastFailureAt = this.clock();
    if (this.down) return;
    this.down = true;
    this.logger.warn(
      `${this.what}: Redis unavailable (${errorMessage(error)}); falling back until it returns`,
    );
  }

  succeeded(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.log(`${this.what}: Redis is back`);
  }
}
