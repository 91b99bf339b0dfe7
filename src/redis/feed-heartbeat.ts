/** Default REDIS_HEARTBEAT_MS: how long a Redis that stopped answering goes unnoticed, at most. */
export const DEFAULT_REDIS_HEARTBEAT_MS = 1000;

/**
 * Whether the revocation feed can be trusted right now, from the answers to its pings.
 *
 * A hung Redis (stopped, not killed) keeps its sockets open, so no 'close' ever says the feed
 * is gone, while another instance's revocation sits unsent. A PONG on the subscriber connection
 * proves that everything published before its PING was processed has been delivered to us. So the
 * feed counts as live only while the last answered ping was sent less than `staleAfterMs` ago;
 * pings go out every half of it, so a healthy feed never looks stale between two of them.
 * A stale feed is treated as down (the guard reads the database), and when a ping is answered
 * again after a stale spell the caller resyncs: what was published meanwhile may have been lost.
 */
export class FeedHeartbeat {
  /** Send time of the newest ping that was answered (or of the subscription that started the feed). */
  private confirmedAt: number | undefined;

  constructor(
    readonly staleAfterMs = DEFAULT_REDIS_HEARTBEAT_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** How often to ping. */
  get pingEveryMs(): number {
    return Math.max(1, Math.floor(this.staleAfterMs / 2));
  }

  now(): number {
    return this.clock();
  }

  /** Live: confirmed by an answer to something sent less than `staleAfterMs` ago. */
  get live(): boolean {
    return this.confirmedAt !== undefined && this.clock() - this.confirmedAt < this.staleAfterMs;
  }

  /**
   * Redis answered a ping (or a SUBSCRIBE) sent at `sentAt`. Returns true when the feed had gone
   * stale (or never was live): the caller must resync, since messages may have been missed.
   */
  confirm(sentAt: number): boolean {
    const wasLive = this.live;
    if (this.confirmedAt === undefined || sentAt > this.confirmedAt) this.confirmedAt = sentAt;
    return !wasLive;
  }

  /** The connection is gone: nothing is confirmed until the next subscription. */
  reset(): void {
    this.confirmedAt = undefined;
  }
}
