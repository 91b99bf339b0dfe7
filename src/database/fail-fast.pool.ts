import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { isDatabaseUnavailable } from '../common';

/** pg's `query_timeout` expired: the server did not answer at all (a hung link or server). */
function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Query read timeout');
}

/** pg's pool client: `release(error)` destroys the connection instead of pooling it again. */
type PgPoolClient = Omit<PostgresPoolClient, 'release'> & { release(error?: Error): void };

/**
 * The client Kysely sees. A query that failed because the connection broke (the backend was
 * terminated, the link reset, a read timed out on a hung link) marks the connection as
 * broken, and its release then destroys it: otherwise pg-pool could hand the same dying
 * connection to the next request before the socket's close arrives (one more 503), or a
 * connection whose timed-out query is still pending on a hung link (every later query on it
 * queued behind that one).
 */
class GuardedClient implements PostgresPoolClient {
  private broken: Error | undefined;

  constructor(
    private readonly inner: PgPoolClient,
    private readonly onHang: () => void,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    first: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof first !== 'string') return this.inner.query(first);
    return this.inner.query<R>(first, parameters ?? []).catch((error: unknown) => {
      if (isDatabaseUnavailable(error) && error instanceof Error) this.broken ??= error;
      if (isReadTimeout(error)) this.onHang();
      throw error;
    });
  }

  release(): void {
    const broken = this.broken;
    this.broken = undefined;
    this.inner.release(broken);
  }
}

/**
 * A pool in front of the pg Pool that, right after a failed connection attempt or a query the
 * server never answered (a hung link or server), fails the next attempts at once for `pauseMs`
 * instead of letting each wait up to DB_TIMEOUT_MS again.
 * Without it a request that touches the database twice while PostgreSQL is unreachable
 * (a login and the audit of its failure) would take twice DB_TIMEOUT_MS to answer its 503.
 * After the pause, the next attempt is a real one, so recovery is noticed at once.
 */
export class FailFastPool implements PostgresPool {
  private failedAt: number | undefined;
  /** One wrapper per pg client, so Kysely keeps one connection object per client. */
  private readonly guarded = new WeakMap<object, GuardedClient>();

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
      const client = (await this.pool.connect()) as PgPoolClient;
      this.failedAt = undefined;
      let guarded = this.guarded.get(client);
      if (!guarded) {
        guarded = new GuardedClient(client, () => (this.failedAt = this.clock()));
        this.guarded.set(client, guarded);
      }
      return guarded;
    } catch (error) {
      if (isDatabaseUnavailable(error)) this.failedAt = this.clock();
      throw error;
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
