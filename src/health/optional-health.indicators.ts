import { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * Configured dependencies other than the database (Redis, when REDIS_URL is set). Bound to a
 * real implementation by the module that owns the dependency; empty otherwise.
 */
export abstract class OptionalHealthIndicators {
  abstract check(): Promise<HealthIndicatorResult>;
}

export class NoOptionalHealthIndicators extends OptionalHealthIndicators {
  check(): Promise<HealthIndicatorResult> {
    return Promise.resolve({});
  }
}
