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

async function startInstance(url: string, keyPrefix: string): Promise<Instance> {
  const connections = new RedisConnections({ url, keyPrefix });
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
    for (const instance of instances) await instance.connections.close();
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
    // Our own echo is not delivered twice.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(a.received).toHaveLength(1);
  });

  it('keeps deployments with different key prefixes apart', async () => {
    const [a, other] = (instances = [
      await startInstance(redis.url, 'one:'),
      await startInstance(redis.url, 'two:'),
    ]);
    other.received.length = 0;
    await a.notifier.publish({ sessionIds: ['s3'] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(other.received).toEqual([]);
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
      await a.connections.close();
      await b.connections.close();
      await proxy.close();
      await redis.dispose();
      jest.restoreAllMocks();
    }
  }, 20_000);
});
