import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { freePort } from '../../test/support/process';
import { deleteKeys, describeWithRedis, uniqueKeyPrefix } from '../../test/support/redis';
import { RedisConnections } from './redis.connections';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';

const MINUTE = 60_000;

describeWithRedis('ResilientThrottlerStorage [redis]', (url) => {
  const prefix = uniqueKeyPrefix();
  let connections: RedisConnections;

  beforeAll(async () => {
    connections = new RedisConnections({ url, keyPrefix: prefix });
    const ready = once(connections.client, 'ready');
    connections.connect();
    await ready;
  });

  afterAll(async () => {
    await connections.close();
    await deleteKeys(url, prefix);
  });

  it('shares one budget between two instances through Redis', async () => {
    const first = new ResilientThrottlerStorage(connections);
    const second = new ResilientThrottlerStorage(connections);
    await first.increment('rate-limit:default:10.0.0.1', MINUTE, 3, MINUTE, 'default');
    await second.increment('rate-limit:default:10.0.0.1', MINUTE, 3, MINUTE, 'default');
    await first.increment('rate-limit:default:10.0.0.1', MINUTE, 3, MINUTE, 'default');
    const over = await second.increment(
      'rate-limit:default:10.0.0.1',
      MINUTE,
      3,
      MINUTE,
      'default',
    );
    expect(over).toMatchObject({ totalHits: 4, isBlocked: true });
    const keys = await connections.client.keys(`${prefix}*`);
    expect(keys.some((key) => key.includes('rate-limit:default:10.0.0.1'))).toBe(true);
  });
});

describe('ResilientThrottlerStorage without Redis', () => {
  it('counts in the process, with one warning, and never fails a request', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const connections = new RedisConnections({
      url: `redis://127.0.0.1:${await freePort()}`,
      keyPrefix: 'x:',
    });
    connections.connect();
    try {
      const storage = new ResilientThrottlerStorage(connections);
      const records = [];
      for (let hit = 0; hit < 3; hit++) {
        records.push(
          await storage.increment('rate-limit:default:10.0.0.2', MINUTE, 2, MINUTE, 'default'),
        );
      }
      expect(records.map((record) => record.isBlocked)).toEqual([false, false, true]);
      const rateLimitWarnings = warn.mock.calls.filter(([message]) =>
        String(message).startsWith('Rate limit'),
      );
      expect(rateLimitWarnings).toHaveLength(1);
    } finally {
      warn.mockRestore();
      await connections.close();
    }
  });
});
