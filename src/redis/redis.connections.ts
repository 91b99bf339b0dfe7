import { Logger } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_HEARTBEAT_MS } from './feed-heartbeat';
import {
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  redisReconnectDelay,
  RedisModuleOptions,
} from './redis.options';

/**
 * The Redis connections of one instance: `client` for commands (counters, scripts, publish)
 * and one dedicated connection per subscriber (a subscribed connection accepts no commands).
 *
 * Redis is never essential: it may be down at start or go away at any time. So:
 * - nothing connects before `connect()` (creating this object opens no socket);
 * - commands fail at once while disconnected (no offline queue) or after `commandTimeoutMs`,
 *   and are never replayed after a reconnect; callers fall back to the database;
 * - reconnection never stops (backoff capped at 2 s), so Redis coming back is picked up
 *   without a restart;
 * - every connection has an error listener, so an outage is logged (once) and never crashes.
 */
export class RedisConnections {
  readonly client: Redis;
  readonly keyPrefix: string;
  /** REDIS_HEARTBEAT_MS: how long a Redis that stopped answering goes unnoticed, at most. */
  readonly heartbeatMs: number;
  private readonly logger = new Logger('Redis');
  private readonly connections: Redis[] = [];
  private closed = false;

  constructor(private readonly options: RedisModuleOptions) {
    this.keyPrefix = options.keyPrefix;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_REDIS_HEARTBEAT_MS;
    this.client = this.open('commands', { keyPrefix: options.keyPrefix });
  }

  /** Whether commands can be sent right now. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** A channel name under the key prefix (ioredis prefixes keys, not channels). */
  channel(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /** Starts connecting; never rejects: a Redis that is down at start is retried in the background. */
  connect(): void {
    for (const connection of this.connections) this.start(connection);
  }

  /**
   * Resolves when the command connection is ready, or after `timeoutMs` (false) if Redis does
   * not answer: a short-lived process (the CLI) must not publish before it is connected, and a
   * server that starts while Redis is down starts anyway, in safe mode.
   */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ready: boolean): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(ready);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.on('ready', onReady);
    });
  }

  /** A new connection for SUBSCRIBE, connected at once if the others are, closed with them. */
  createSubscriber(name: string): Redis {
    // Channels are named in full by `channel()`; a key prefix would not apply to them anyway.
    const subscriber = this.open(name, { autoResubscribe: false });
    if (this.client.status !== 'wait') this.start(subscriber);
    return subscriber;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.connections.map(async (connection) => {
        // Only a ready connection can say goodbye; any other is just dropped.
        if (connection.status !== 'ready') {
          connection.disconnect();
          return;
        }
        try {
          await connection.quit();
        } catch {
          connection.disconnect();
        }
      }),
    );
  }

  private start(connection: Redis): void {
    if (connection.status !== 'wait' || this.closed) return;
    // The first failure is logged by the error listener, and retries go on by themselves.
    connection.connect().catch(() => undefined);
  }

  private open(name: string, extra: RedisOptions): Redis {
    const connection = new Redis(this.options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (attempt) => (this.closed ? null : redisReconnectDelay(attempt)),
      ...extra,
    });
    let down = false;
    connection.on('error', (error: Error) => {
      if (down) return;
      down = true;
      this.logger.warn(
        `Redis connection "${name}" failed: ${error.message}; reconnecting in the background`,
      );
    });
    connection.on('ready', () => {
      if (down) this.logger.log(`Redis connection "${name}" restored`);
      down = false;
    });
    connection.on('close', () => {
      if (this.closed || down) return;
      down = true;
      this.logger.warn(`Redis connection "${name}" closed; reconnecting in the background`);
    });
    this.connections.push(connection);
    return connection;
  }
}
