import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import type { RevocationEvent } from '../auth';
import { describeWithRedis, PrivateRedis, startPrivateRedis } from '../../test/support/redis';
import { startTcpProxy } from '../../test/support/tcp-proxy';
import { RedisConnections } from './redis.connections';
import { RedisRevocationNotifier } from './redis-revocation.notifier';

/** One instance: its connections, its notifier, and what its listeners received. */
interface Instance {
  connections: RedisConnections;
  notifier: RedisRevocationNotifier;
  received: RevocationEvent[];
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startInstance(
  url: string,
  keyPrefix: string,
  heartbeatMs?: number,
): Promise<Instance> {
  const connections = new RedisConnections({ url, keyPrefix, heartbeatMs });
  const notifier = new RedisRevocationNotifier(connections);
  const received: RevocationEvent[] = [];
  notifier.subscribe((event) => received.push(event));
  notifier.onModuleInit();
  const ready = once(connections.client, 'ready');
  connections.connect();
  await ready;
  await until(() => notifier.connected, 'subscribed');
  return { connections, notifier, received };
}

describeWithRedis('RedisRevocationNotifier [redis]', () => {
  let redis: PrivateRedis;
  let instances: Instance[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    for (const instance of instances) {
      instance.notifier.onApplicationShutdown();
      await instance.connections.close();
    }
    instances = [];
  });

  afterAll(async () => {
    await redis.dispose();
    jest.restoreAllMocks();
  });

  it('delivers a revocation locally before resolving, and to the other instance once', async () => {
    const [a, b] = (instances = [
      await startInstance(redis.url, 'one:'),
      await startInstance(redis.url, 'one:'),
    ]);
    a.received.length = 0;
    b.received.length = 0;
    await a.notifier.publish({ sessionIds: ['s1', 's2'] });
    expect(a.received).toEqual([{ sessionIds: ['s1', 's2'] }]);
    await until(() => b.received.length > 0, 'delivery to b');
    expect(b.received).toEqual([{ sessionIds: ['s1', 's2'] }]);
    // Our own echo is not delivered twice. Redis delivers one channel's messages in order, so
    // once b's later message reaches a, a's own echo has reached it too (and was skipped).
    await b.notifier.publish({ sessionIds: ['marker'] });
    await until(() => a.received.length > 1, 'delivery of the marker to a');
    expect(a.received).toEqual([{ sessionIds: ['s1', 's2'] }, { sessionIds: ['marker'] }]);
  });

  it('keeps deployments with different key prefixes apart', async () => {
    const [a, other, otherTwin] = (instances = [
      await startInstance(redis.url, 'one:'),
      await startInstance(redis.url, 'two:'),
      await startInstance(redis.url, 'two:'),
    ]);
    other.received.length = 0;
    await a.notifier.publish({ sessionIds: ['s3'] });
    // A later message on other's own channel: when it arrives, s3 would have arrived before it.
    await otherTwin.notifier.publish({ sessionIds: ['marker'] });
    await until(() => other.received.length > 0, 'delivery of the marker');
    expect(other.received).toEqual([{ sessionIds: ['marker'] }]);
  });

  it('reports the feed lost and asks for a resync when Redis goes, and again when it returns', async () => {
    const [a, b] = (instances = [
      await startInstance(redis.url, 'one:'),
      await startInstance(redis.url, 'one:'),
    ]);
    b.received.length = 0;
    await redis.shutdown();
    await until(() => !b.notifier.connected, 'feed lost');
    expect(b.received).toEqual([{ sessionIds: [], resync: true }]);
    // Publishing without Redis still reaches local listeners, and does not throw.
    await expect(a.notifier.publish({ sessionIds: ['s4'] })).resolves.toBeUndefined();
    expect(a.received.at(-1)).toEqual({ sessionIds: ['s4'] });
    b.received.length = 0;

    await redis.start();
    await until(() => a.notifier.connected && b.notifier.connected, 'feed back', 8000);
    // b forgets its cache (it may also get s4, which a sends again once back: harmless).
    expect(b.received).toContainEqual({ sessionIds: [], resync: true });
    b.received.length = 0;
    await a.notifier.publish({ sessionIds: ['s5'] });
    await until(
      () => b.received.some((event) => event.sessionIds.includes('s5')),
      'delivery after the reconnect',
    );
    expect(b.received).toContainEqual({ sessionIds: ['s5'] });
  });
});

describeWithRedis('RedisRevocationNotifier when Redis hangs (SIGSTOP) [redis]', () => {
  it('reports the feed down within the heartbeat, and resyncs when Redis answers again', async () => {
    const redis = await startPrivateRedis();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const a = await startInstance(redis.url, 'one:', 400);
    const b = await startInstance(redis.url, 'one:', 400);
    try {
      b.received.length = 0;
      redis.pause();
      const frozenAt = Date.now();
      // Nothing closes: only the unanswered pings can tell.
      await until(() => !b.notifier.connected, 'feed reported down', 3000);
      expect(Date.now() - frozenAt).toBeLessThan(400 + 600);
      expect(b.connections.client.status).toBe('ready');
      expect(a.notifier.connected).toBe(false);

      redis.resume();
      await until(() => a.notifier.connected && b.notifier.connected, 'feed back', 10_000);
      // b forgets its cache: a revocation may have been stuck in the hung Redis.
      expect(b.received).toContainEqual({ sessionIds: [], resync: true });
      b.received.length = 0;
      await a.notifier.publish({ sessionIds: ['s7'] });
      await until(
        () => b.received.some((event) => event.sessionIds.includes('s7')),
        'delivery after the hang',
      );
    } finally {
      redis.resume();
      a.notifier.onApplicationShutdown();
      await a.connections.close();
      b.notifier.onApplicationShutdown();
      await b.connections.close();
      await redis.dispose();
      jest.restoreAllMocks();
    }
  }, 20_000);
});

describeWithRedis('RedisRevocationNotifier when only one instance loses Redis [redis]', () => {
  it('sends the revocations it could not publish as soon as it reconnects', async () => {
    const redis = await startPrivateRedis();
    const proxy = await startTcpProxy('127.0.0.1', redis.port);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    // a reaches Redis through a link the test cuts; b stays connected and keeps trusting its cache.
    const a = await startInstance(`redis://127.0.0.1:${proxy.port}`, 'one:');
    const b = await startInstance(redis.url, 'one:');
    try {
      b.received.length = 0;
      proxy.cut();
      await until(() => a.connections.client.status !== 'ready', 'a disconnected');
      await a.notifier.publish({ sessionIds: ['s6'] });
      expect(b.notifier.connected).toBe(true);
      expect(b.received).toEqual([]);

      proxy.restore();
      await until(() => b.received.length > 0, 'late delivery to b', 8000);
      expect(b.received).toEqual([{ sessionIds: ['s6'] }]);
    } finally {
      a.notifier.onApplicationShutdown();
      await a.connections.close();
      b.notifier.onApplicationShutdown();
      await b.connections.close();
      await proxy.close();
      await redis.dispose();
      jest.restoreAllMocks();
    }
  }, 20_000);
});
