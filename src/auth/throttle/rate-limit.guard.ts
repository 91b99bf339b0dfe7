import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { ApiError } from '../../common';

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
    return Promise.resolve(isRateLimitExempt(context.switchToHttp().getRequest<Request>().path));
  }

  // The stock tracker folds IPv6 addresses into /64 subnets; API.md's unit is the client IP.
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const { ip, socket } = request as unknown as Request;
    return Promise.resolve(ip ?? socket?.remoteAddress ?? 'unknown');
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `rate-limit:${throttlerName}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = String(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
    throw new ApiError(429, 'RATE_LIMITED', 'Too many requests', {}, { 'Retry-After': retryAfter });
  }
}
