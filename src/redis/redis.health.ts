import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult } from '@nestjs/terminus';
import { OptionalHealthIndicators } from '../health';
import { RedisConnections } from './redis.connections';

/**
 * `redis` in `/health` and `/health/ready`: up when a PING answers within the command timeout.
 * Down only degrades liveness (the database stays the source of truth); readiness answers 503.
 */
@Injectable()
export class RedisHealthIndicators extends OptionalHealthIndicators {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async check(): Promise<HealthIndicatorResult> {
    if (!this.redis.ready) return { redis: { status: 'down', message: 'not connected' } };
    try {
      await this.redis.client.ping();
      return { redis: { status: 'up' } };
    } catch {
      return { redis: { status: 'down', message: 'did not answer' } };
    }
  }
}
