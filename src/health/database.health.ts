import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseInfo, DatabaseProbe } from '../database';

/** DB_TIMEOUT_MS when the database module does not say (its default). */
const DEFAULT_TIMEOUT_MS = 5000;

@Injectable()
export class DatabaseHealthIndicator {
  private readonly timeoutMs: number;

  constructor(
    private readonly database: DatabaseProbe,
    private readonly indicators: HealthIndicatorService,
    @Optional() info?: DatabaseInfo,
  ) {
    this.timeoutMs = info?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Down when `select 1` fails or takes longer than DB_TIMEOUT_MS in all: waiting for a pooled
   * connection and then for the query could otherwise take two timeouts, and a probe that
   * hangs is as good as down.
   */
  async check(key = 'database'): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs);
    });
    const probe = this.database.ping().then(
      () => true,
      () => false,
    );
    const up = await Promise.race([probe, deadline]);
    clearTimeout(timer);
    return up ? indicator.up() : indicator.down({ message: 'database did not answer' });
  }
}
