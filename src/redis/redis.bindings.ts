import type { Type } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RevocationNotifier, ThrottleStore } from '../auth';
import type { OptionalHealthIndicators } from '../health';
import { RedisRevocationNotifier } from './redis-revocation.notifier';
import { RedisThrottleStore } from './redis-throttle.store';
import { RedisConnections } from './redis.connections';
import { RedisHealthIndicators } from './redis.health';
import { RedisModule } from './redis.module';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';

/** What AppModule binds when REDIS_URL is set; every field is undefined without it. */
export interface SharedStateBindings {
  imports: DynamicModule[];
  throttleStore?: Type<ThrottleStore>;
  rateLimitStorage?: ThrottlerStorage;
  revocationNotifier?: Type<RevocationNotifier>;
  healthIndicators?: Type<OptionalHealthIndicators>;
}

/**
 * Several instances share their state through Redis when `url` is set: login throttle counters,
 * the general rate limit, revocations, and `redis` in the health checks. Without it, each
 * module keeps its single-instance default (database counters, in-process rate limit and
 * revocations).
 */
export function sharedStateBindings(redis: {
  url?: string;
  keyPrefix: string;
  heartbeatMs?: number;
}): SharedStateBindings {
  if (redis.url === undefined) return { imports: [] };
  const connections = new RedisConnections({
    url: redis.url,
    keyPrefix: redis.keyPrefix,
    heartbeatMs: redis.heartbeatMs,
  });
  return {
    imports: [RedisModule.forRoot(connections)],
    throttleStore: RedisThrottleStore,
    rateLimitStorage: new ResilientThrottlerStorage(connections),
    revocationNotifier: RedisRevocationNotifier,
    healthIndicators: RedisHealthIndicators,
  };
}
