import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { isDatabaseUnavailable } from './database-errors';

/**
 * A pool in front of the pg Pool that, right after a failed connection attempt, fails the next
 * attempts at once for `pauseMs` instead of letting each wait up to DB_TIMEOUT_MS again.
 * Without it a request that touches the database twice while PostgreSQL is unreachable
 * (a login and the audit of its failure) would take twice DB_TIMEOUT_MS to answer its 503.
 * After the pause, the next attempt is a real one, so recovery is noticed at once.
 */
export class FailFastPool implements PostgresPool {
  private failedAt: number | undefined;

  constructor(
    private readonly pool: PostgresPool,
    private readonly pauseMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    if (this.failedAt !== undefined && this.clock() - this.failedAt < this.pauseMs) {
      throw Object.assign(
        new Error('Database unavailable: the last connection attempt failed moments ago'),
        {
          code: '08001', // sqlclient_unable_to_establish_sqlconnection
        },
      );
    }
    try {
      const client = await this.pool.connect();
      this.failedAt = undefined;
      return client;
    } catch (error) {
      if (isDatabaseUnavailable(error)) this.failedAt = this.clock();
      throw error;
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
