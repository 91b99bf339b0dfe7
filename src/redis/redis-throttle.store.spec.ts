import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { toErrorBody } from '../common';
import { DatabaseConnection, migrateToLatest, openDatabase } from '../database';
import { behavesAsThrottleStore } from '../testing';
import {
  deleteKeys,
  describeWithRedis,
  startPrivateRedis,
  uniqueKeyPrefix,
} from '../../test/support/redis';
import { freePort } from '../../test/support/process';
import type { FailurePolicy } from '../auth';
import { KyselyThrottleStore } from '../auth';
import { RedisConnections } from './redis.connections';
import { RedisThrottleStore } from './redis-throttle.store';

async function openMigratedSqlite(): Promise<DatabaseConnection> {
  const connection = openDatabase({ url: 'sqlite::memory:', timeoutMs: 5000, poolSize: 1 });
  await migrateToLatest(connection.db);
  return connection;
}

async function connected(url: string, keyPrefix: string): Promise<RedisConnections> {
  const connections = new RedisConnections({ url, keyPrefix });
  const ready = once(connections.client, 'ready');
  connections.connect();
  await ready;
  return connections;
}

const policy: FailurePolicy = { maxFailures: 3, windowMs: 15 * 60_000, lockDurationsMs: [60_000] };

describeWithRedis('RedisThrottleStore [redis]', (url) => {
  let database: DatabaseConnection;
  let connections: RedisConnections | undefined;
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await openMigratedSqlite();
  });

  afterEach(async () => {
    await connections?.close();
    connections = undefined;
  });

  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeys(url, prefix);
    await database.close();
  });

  async function freshStore(): Promise<RedisThrottleStore> {
    await connections?.close();
    const prefix = uniqueKeyPrefix();
    prefixes.push(prefix);
    connections = await connected(url, prefix);
    for (const table of ['login_throttle', 'login_known_ips'] as const) {
      await database.db.deleteFrom(table).execute();
    }
    return new RedisThrottleStore(connections, new KyselyThrottleStore(database.db));
  }

  describe('the ThrottleStore contract', () => {
    behavesAsThrottleStore(freshStore);
  });

  it('keeps its counters in Redis under the key prefix, with an expiry, and none in the database', async () => {
    const store = await freshStore();
    const now = Date.now();
    await store.recordFailure({ kind: 'pair', username: 'alice', ip: '10.0.0.1' }, policy, now);
    await store.recordFailure({ kind: 'user', username: 'alice' }, policy, now);
    // The client prefixes the keys of commands, not KEYS patterns: name the prefix here.
    const keys = await connections!.client.keys(`${connections!.keyPrefix}*`);
    expect(keys.sort()).toEqual(
      [
        `${connections!.keyPrefix}throttle:pair:["alice","10.0.0.1"]`,
        `${connections!.keyPrefix}throttle:pairs-of:alice`,
        `${connections!.keyPrefix}throttle:user:alice`,
      ].sort(),
    );
    const ttl = await connections!.client.pttl('throttle:user:alice');
    expect(ttl).toBeGreaterThan(policy.windowMs - 5_000);
    expect(ttl).toBeLessThanOrEqual(policy.windowMs);
    expect(await database.db.selectFrom('login_throttle').selectAll().execute()).toEqual([]);
  });

  it('shares one count between two stores (two instances) on the same prefix', async () => {
    const first = await freshStore();
    const second = new RedisThrottleStore(connections!, new KyselyThrottleStore(database.db));
    const subject = { kind: 'ip', ip: '10.9.9.9' } as const;
    const now = Date.now();
    const outcomes = await Promise.all([
      first.recordFailure(subject, policy, now),
      second.recordFailure(subject, policy, now),
      first.recordFailure(subject, policy, now),
    ]);
    expect(outcomes.filter((outcome) => outcome.lockedNow)).toHaveLength(1);
    expect((await second.read([subject]))[0]).toMatchObject({
      lockedUntil: now + 60_000,
      lockCount: 1,
    });
  });
});

describe('RedisThrottleStore without Redis', () => {
  let database: DatabaseConnection;
  let connections: RedisConnections;

  beforeAll(async () => {
    database = await openMigratedSqlite();
    // Nothing listens there: every command fails at once, as in an outage.
    connections = new RedisConnections({
      url: `redis://127.0.0.1:${await freePort()}`,
      keyPrefix: 'x:',
    });
    connections.connect();
  });

  afterAll(async () => {
    await connections.close();
    await database.close();
  });

  it('falls back to the database store, enforcing the same limits, with one warning per outage', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const store = new RedisThrottleStore(connections, new KyselyThrottleStore(database.db));
      const reference = new KyselyThrottleStore(database.db);
      const subject = { kind: 'pair', username: 'bob', ip: '10.0.0.2' } as const;
      const now = Date.now();
      const outcomes = [];
      for (let attempt = 0; attempt < 3; attempt++)
        outcomes.push(await store.recordFailure(subject, policy, now));
      expect(outcomes.map((outcome) => outcome.lockedNow)).toEqual([false, false, true]);
      expect(await store.read([subject])).toEqual(await reference.read([subject]));
      expect((await store.read([subject]))[0]).toMatchObject({ lockedUntil: now + 60_000 });
      const throttleWarnings = warn.mock.calls.filter(([message]) =>
        String(message).startsWith('Login throttle'),
      );
      expect(throttleWarnings).toHaveLength(1);
      expect(String(throttleWarnings[0][0])).toContain('Redis unavailable');
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses an admin unlock it cannot complete (503), after clearing the database', async () => {
    const store = new RedisThrottleStore(connections, new KyselyThrottleStore(database.db));
    const refusal: unknown = await store.clearUsername('bob').catch((error: unknown) => error);
    expect(toErrorBody(refusal)).toEqual({
      body: { statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: 'Service unavailable' },
      headers: { 'Retry-After': '5' },
    });
    expect(await database.db.selectFrom('login_throttle').selectAll().execute()).toEqual([]);
  });
});

describeWithRedis('RedisThrottleStore through an outage [private redis]', () => {
  it('keeps a lock placed in the database during the outage once Redis is back', async () => {
    const redis = await startPrivateRedis();
    const database = await openMigratedSqlite();
    const connections = await connected(redis.url, 'outage:');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    try {
      const store = new RedisThrottleStore(connections, new KyselyThrottleStore(database.db));
      const subject = { kind: 'pair', username: 'eve', ip: '10.6.6.6' } as const;
      await redis.shutdown();
      const now = Date.now();
      const outcomes = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        outcomes.push(await store.recordFailure(subject, policy, now));
      }
      expect(outcomes[2]).toMatchObject({ lockedNow: true });

      const ready = once(connections.client, 'ready');
      await redis.start();
      await ready;
      // Redis knows nothing of eve, yet the lock from the outage holds...
      expect((await store.read([subject]))[0]).toMatchObject({ lockedUntil: now + 60_000 });
      // ...while new counts go to Redis again.
      const other = { kind: 'ip', ip: '10.7.7.7' } as const;
      await store.recordFailure(other, policy, now);
      expect(await connections.client.exists(`throttle:ip:10.7.7.7`)).toBe(1);
      // A success clears the pair in both places.
      expect(await store.resetPair('eve', '10.6.6.6')).toMatchObject({ lockedUntil: now + 60_000 });
      expect(await store.read([subject])).toEqual([undefined]);
    } finally {
      warn.mockRestore();
      log.mockRestore();
      await connections.close();
      await database.close();
      await redis.dispose();
    }
  });
});
