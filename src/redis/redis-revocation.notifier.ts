import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RevocationEvent, RevocationListener, RevocationNotifier } from '../auth';
import { FeedHeartbeat } from './feed-heartbeat';
import { RedisOutage } from './redis-outage';
import { RedisConnections } from './redis.connections';
import { errorMessage } from '../common';

/** What travels on the channel: who sent it (to skip our own echo) and the ended sessions. */
interface RevocationMessage {
  from: string;
  sessionIds: string[];
}

const MAX_SESSION_IDS_PER_MESSAGE = 10_000;

function parseMessage(raw: string): RevocationMessage | undefined {
  try {
    const value = JSON.parse(raw) as Partial<RevocationMessage>;
    if (typeof value.from !== 'string' || !Array.isArray(value.sessionIds)) return undefined;
    const sessionIds = value.sessionIds.filter((id): id is string => typeof id === 'string');
    return { from: value.from, sessionIds: sessionIds.slice(0, MAX_SESSION_IDS_PER_MESSAGE) };
  } catch {
    return undefined;
  }
}

/**
 * Revocation fan-out across instances over Redis pub/sub (`<prefix>revocations`).
 * - `publish` runs the local listeners first (this instance stops honouring the session before
 *   the revoking request answers), then publishes; every other instance marks the sessions
 *   ended in its cache within milliseconds.
 * - Pub/sub delivers only to connected subscribers, so while the subscription is not in place
 *   `connected` is false (the guard then reads the database), and each loss and each
 *   re-subscription asks the listeners to resync (forget their cache): what was revoked while
 *   we were not listening is read from the database, never resurrected from the cache.
 * - A Redis that hangs (SIGSTOP, a frozen VM) closes nothing, so the subscriber is pinged every
 *   half of REDIS_HEARTBEAT_MS: while no answered ping is younger than that, `connected` is
 *   false (the same path as a killed Redis), so a revocation whose message is stuck is read from
 *   the database within about REDIS_HEARTBEAT_MS. A ping that times out drops the subscriber
 *   connection, which reconnects and resyncs like after any other outage.
 */
@Injectable()
export class RedisRevocationNotifier
  extends RevocationNotifier
  implements OnModuleInit, OnApplicationShutdown
{
  private readonly logger = new Logger('Revocations');
  /** Publishing (the command connection) and listening (the subscriber) fail independently. */
  private readonly publishing = new RedisOutage(this.logger, 'Revocation publishing');
  private readonly listening = new RedisOutage(this.logger, 'Revocation feed');
  private readonly listeners: RevocationListener[] = [];
  private readonly instanceId = randomUUID();
  private readonly channel: string;
  private subscriber?: Redis;
  private subscribed = false;
  private readonly heartbeat: FeedHeartbeat;
  private heartbeatTimer?: NodeJS.Timeout;
  private pinging = false;
  /**
   * Revocations this instance could not publish. Another instance may still be listening (only
   * our link to Redis broke) and trusting its cache: they are sent as soon as we reconnect.
   */
  private unsent = new Set<string>();

  constructor(private readonly redis: RedisConnections) {
    super();
    this.channel = redis.channel('revocations');
    this.heartbeat = new FeedHeartbeat(redis.heartbeatMs);
    redis.client.on('ready', () => void this.sendUnsent());
  }

  override get connected(): boolean {
    return this.subscribed && this.heartbeat.live;
  }

  onModuleInit(): void {
    const subscriber = this.redis.createSubscriber('revocations');
    subscriber.on('message', (channel: string, raw: string) => this.received(channel, raw));
    subscriber.on('ready', () => void this.listen(subscriber));
    subscriber.on('close', () => this.lost());
    this.subscriber = subscriber;
    if (subscriber.status === 'ready') void this.listen(subscriber);
    this.heartbeatTimer = setInterval(() => this.beat(), this.heartbeat.pingEveryMs);
    this.heartbeatTimer.unref();
  }

  onApplicationShutdown(): void {
    this.subscribed = false;
    clearInterval(this.heartbeatTimer);
  }

  subscribe(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  async publish(event: RevocationEvent): Promise<void> {
    this.deliver(event);
    // Always attempted, even during an outage: a revocation skipped just after Redis returns
    // would leave other instances trusting their cache.
    if (event.sessionIds.length === 0) return;
    await this.send(event.sessionIds);
  }

  private async send(sessionIds: string[]): Promise<void> {
    const message: RevocationMessage = { from: this.instanceId, sessionIds };
    try {
      await this.redis.client.publish(this.channel, JSON.stringify(message));
      this.publishing.succeeded();
    } catch (error) {
      // The revocation is committed in the database, and instances without the feed read it
      // there; those still listening get it when we reconnect.
      this.publishing.failed(error);
      for (const id of sessionIds) {
        if (this.unsent.size < MAX_SESSION_IDS_PER_MESSAGE) this.unsent.add(id);
      }
    }
  }

  private async sendUnsent(): Promise<void> {
    if (this.unsent.size === 0) return;
    const sessionIds = [...this.unsent];
    this.unsent = new Set();
    await this.send(sessionIds);
  }

  /** One ping at a time on the subscriber connection; its answer keeps the feed trusted. */
  private beat(): void {
    const subscriber = this.subscriber;
    if (!this.subscribed || this.pinging || !subscriber || subscriber.status !== 'ready') return;
    this.pinging = true;
    const sentAt = this.heartbeat.now();
    subscriber.ping().then(
      () => {
        this.pinging = false;
        if (subscriber !== this.subscriber || !this.subscribed) return;
        // Answered after a stale spell: messages may have been missed meanwhile.
        if (this.heartbeat.confirm(sentAt)) this.deliver({ sessionIds: [], resync: true });
      },
      (error: unknown) => {
        this.pinging = false;
        if (subscriber !== this.subscriber || subscriber.status !== 'ready') return;
        // Redis holds the socket open but does not answer: drop the connection, so the feed
        // goes down and comes back through the ordinary reconnect-and-resync path.
        this.listening.failed(error);
        subscriber.disconnect(true);
      },
    );
  }

  private async listen(subscriber: Redis): Promise<void> {
    const sentAt = this.heartbeat.now();
    try {
      await subscriber.subscribe(this.channel);
    } catch (error) {
      // The connection dropped again; its next 'ready' tries once more.
      this.listening.failed(error);
      return;
    }
    if (subscriber !== this.subscriber || subscriber.status !== 'ready') return;
    this.subscribed = true;
    this.heartbeat.confirm(sentAt);
    this.listening.succeeded();
    // Whatever was published while we were not subscribed is lost: start again from the database.
    this.deliver({ sessionIds: [], resync: true });
    // Our own revocations that timed out during a hang (no reconnect of the command connection).
    void this.sendUnsent();
  }

  private lost(): void {
    this.heartbeat.reset();
    if (!this.subscribed) return;
    this.subscribed = false;
    this.listening.failed(new Error('subscription lost'));
    this.deliver({ sessionIds: [], resync: true });
  }

  private received(channel: string, raw: string): void {
    if (channel !== this.channel) return;
    const message = parseMessage(raw);
    if (!message) {
      this.logger.warn('Ignored a malformed revocation message');
      return;
    }
    if (message.from === this.instanceId || message.sessionIds.length === 0) return;
    this.deliver({ sessionIds: message.sessionIds });
  }

  private deliver(event: RevocationEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`A revocation listener failed: ${errorMessage(error)}`);
      }
    }
  }
}
