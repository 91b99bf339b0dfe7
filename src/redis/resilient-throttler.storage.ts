import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
// The in-process store of the rate-limit module (same fixed-window algorithm, O(1) per hit).
import { FixedWindowThrottlerStorage } from '../auth';
import { RedisOutage } from './redis-outage';
import type { RedisConnections } from './redis.connections';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The @nestjs/throttler storage for several instances: @nest-lab/throttler-storage-redis on the
 * shared connection, so the per-IP request budget is one budget across instances. While Redis
 * fails, hits are counted in this process instead (one warning per outage): the general rate
 * limit then holds per instance, and no request fails because Redis is away.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly shared: ThrottlerStorageRedisService;
  private readonly local = new FixedWindowThrottlerStorage();
  private readonly outage = new RedisOutage(new Logger('RateLimit'), 'Rate limit');

  constructor(redis: RedisConnections) {
    this.shared = new ThrottlerStorageRedisService(redis.client);
    redis.client.on('ready', () => this.outage.retryNow());
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (!this.outage.shouldTry()) {
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    try {
      const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      this.outage.succeeded();
      return record;
    } catch (error) {
      this.outage.failed(error);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }
}
