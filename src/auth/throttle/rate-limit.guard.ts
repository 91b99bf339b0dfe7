import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { ApiError, GatehouseRequest, requestPath } from '../../common';

export const RATE_LIMIT_THROTTLER = 'default';

/** The store key of one client's budget, shared by the guard and RateLimitMiddleware. */
export function rateLimitKey(tracker: string, throttlerName = RATE_LIMIT_THROTTLER): string {
  return `rate-limit:${throttlerName}:${tracker}`;
}

/** Requests already counted by RateLimitMiddleware (counted once, whoever sees them first). */
const counted = new WeakSet<object>();

export function markRateLimitCounted(request: object): void {
  counted.add(request);
}

export function wasRateLimitCounted(request: object): boolean {
  return counted.has(request);
}

/** Paths outside the general rate limit (API.md): probes and the metrics scrape. */
export function isRateLimitExempt(path: string): boolean {
  return path === '/metrics' || path.startsWith('/health');
}

/**
 * The general per-IP request rate of API.md, on @nestjs/throttler. One budget per client IP
 * across every route (the stock guard keeps one per route), keyed by `req.ip`, which follows
 * `TRUST_PROXY`. A refusal is `429 RATE_LIMITED` with `Retry-After`; the error filter's hooks
 * see it like any other error (auth records a refused login as `excess_rate_limit_exceeded`).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    const request = context.switchToHttp().getRequest<GatehouseRequest>();
    return Promise.resolve(isRateLimitExempt(requestPath(request)) || wasRateLimitCounted(request));
  }

  // The stock tracker folds IPv6 addresses into /64 subnets; API.md's unit is the client IP.
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const { ip, socket } = request as unknown as GatehouseRequest;
    return Promise.resolve(ip ?? socket?.remoteAddress ?? 'unknown');
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return rateLimitKey(tracker, throttlerName);
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = String(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
    throw new ApiError(429, 'RATE_LIMITED', 'Too many requests', {}, { 'Retry-After': retryAfter });
  }
}
