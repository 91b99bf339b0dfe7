import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { HttpPlatform } from '../../common';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { FixedWindowThrottlerStorage } from './fixed-window.throttler-storage';
import { RateLimitGuard } from './rate-limit.guard';
import { RATE_LIMIT_OPTIONS, RateLimitMiddleware } from './rate-limit.middleware';

export interface RateLimitModuleOptions {
  /** Requests per minute per client IP (`RATE_LIMIT_PER_MINUTE`). */
  limitPerMinute: number;
  /**
   * Where the hits are counted. Default: in this process (one instance), a fixed window per
   * client like the Redis store. With several
   * instances, pass the shared one, e.g. `new ThrottlerStorageRedisService(redis)` from
   * @nest-lab/throttler-storage-redis.
   */
  storage?: ThrottlerStorage;
}

const MINUTE_MS = 60_000;

/**
 * The general rate limit as a global guard. Import it before the auth module, so a flood is
 * refused before any token or session work.
 */
@Module({})
export class RateLimitModule {
  static forRoot(options: RateLimitModuleOptions): DynamicModule {
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: MINUTE_MS, limit: options.limitPerMinute }],
          // O(1) per request in process (the stock store is O(limit)); see fixed-window.throttler-storage.ts.
          storage: options.storage ?? new FixedWindowThrottlerStorage(),
        }),
      ],
      providers: [
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: RATE_LIMIT_OPTIONS, useValue: { limitPerMinute: options.limitPerMinute } },
        RateLimitMiddleware,
        HttpPlatform,
      ],
      exports: [RateLimitMiddleware],
    };
  }
}
