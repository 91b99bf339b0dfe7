import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import {
  ApiError,
  GatehouseRequest,
  GatehouseResponse,
  HttpPlatform,
  requestPath,
} from '../../common';
import {
  isRateLimitExempt,
  markRateLimitCounted,
  RATE_LIMIT_THROTTLER,
  rateLimitKey,
  wasRateLimitCounted,
} from './rate-limit.guard';

export const RATE_LIMIT_OPTIONS = Symbol('RATE_LIMIT_OPTIONS');

export interface RateLimitSettings {
  limitPerMinute: number;
}

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * The general rate limit for requests no route guard sees: `/docs`, `/docs-json`, static files
 * and unknown paths (404), which the platform answers without running Nest's guards (API.md: every
 * path but `/health*` and `/metrics`). Mounted early by the service (`app.use` on Express, an `onRequest` hook on Fastify), it counts each
 * request once, in the same store and under the same key as RateLimitGuard, and marks it so
 * the guard does not count it again; an application that does not mount it keeps the guard.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(RATE_LIMIT_OPTIONS) private readonly settings: RateLimitSettings,
    private readonly platform: HttpPlatform,
  ) {}

  use(
    request: GatehouseRequest,
    response: GatehouseResponse,
    next: (error?: unknown) => void,
  ): void {
    if (isRateLimitExempt(requestPath(request)) || wasRateLimitCounted(request)) {
      next();
      return;
    }
    markRateLimitCounted(request);
    const limit = this.settings.limitPerMinute;
    const tracker = request.ip ?? request.socket?.remoteAddress ?? 'unknown';
    this.storage
      .increment(
        rateLimitKey(tracker),
        RATE_LIMIT_WINDOW_MS,
        limit,
        RATE_LIMIT_WINDOW_MS,
        RATE_LIMIT_THROTTLER,
      )
      .then(
        (record) => {
          if (record.isBlocked) {
            const retryAfter = String(Math.max(1, Math.ceil(record.timeToBlockExpire)));
            next(
              new ApiError(
                429,
                'RATE_LIMITED',
                'Too many requests',
                {},
                { 'Retry-After': retryAfter },
              ),
            );
            return;
          }
          const remaining = Math.max(0, limit - record.totalHits);
          this.platform.setHeader(response, 'X-RateLimit-Limit', limit);
          this.platform.setHeader(response, 'X-RateLimit-Remaining', remaining);
          this.platform.setHeader(response, 'X-RateLimit-Reset', record.timeToExpire);
          next();
        },
        (error: unknown) => next(error),
      );
  }
}
