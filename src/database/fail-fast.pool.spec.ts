import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { isDatabaseUnavailable } from '../common';
import { FailFastPool } from './fail-fast.pool';

class ScriptedPool implements PostgresPool {
  attempts = 0;
  failWith: Error | undefined;
  queryError: Error | undefined;
  readonly released: (Error | undefined)[] = [];
  readonly client = {
    query: () =>
      this.queryError
        ? Promise.reject(this.queryError)
        : Promise.resolve({ command: 'SELECT', rowCount: 0, rows: [] }),
    release: (error?: Error) => this.released.push(error),
  } as unknown as PostgresPoolClient;

  connect(): Promise<PostgresPoolClient> {
    this.attempts++;
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve(this.client);
  }

  end(): Promise<void> {
    return Promise.resolve();
  }
}

describe('FailFastPool', () => {
  let now: number;
  let inner: ScriptedPool;
  let pool: FailFastPool;

  beforeEach(() => {
    now = 1_000_000;
    inner = new ScriptedPool();
    pool = new FailFastPool(inner, 1000, () => now);
  });

  it('passes connections through while the database answers', async () => {
    await expect(pool.connect()).resolves.toBeDefined();
    await expect(pool.connect()).resolves.toBeDefined();
    expect(inner.attempts).toBe(2);
  });

  it('after a failed connection, fails at once (as unavailable) for the pause, then tries again', async () => {
    inner.failWith = new Error('timeout exceeded when trying to connect');
    await expect(pool.connect()).rejects.toBe(inner.failWith);
    now += 999;
    const fast = await pool.connect().catch((error: unknown) => error);
    expect(isDatabaseUnavailable(fast)).toBe(true);
    expect(inner.attempts).toBe(1);
    inner.failWith = undefined;
    now += 1;
    await expect(pool.connect()).resolves.toBeDefined();
    expect(inner.attempts).toBe(2);
  });

  it('does not pause on errors that are not about reaching the database', async () => {
    inner.failWith = new Error('password authentication failed');
    await expect(pool.connect()).rejects.toBe(inner.failWith);
    await expect(pool.connect()).rejects.toBe(inner.failWith);
    expect(inner.attempts).toBe(2);
  });

  it('destroys a connection whose query failed because the connection broke', async () => {
    const client = await pool.connect();
    inner.queryError = Object.assign(new Error('terminating connection'), { code: '57P01' });
    await expect(client.query('select 1', [])).rejects.toBe(inner.queryError);
    client.release();
    // pg-pool destroys a client released with an error instead of pooling it again.
    expect(inner.released).toEqual([inner.queryError]);
  });

  it('pools a connection again after an ordinary query error', async () => {
    const client = await pool.connect();
    inner.queryError = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(client.query('select 1', [])).rejects.toBe(inner.queryError);
    client.release();
    const again = await pool.connect();
    inner.queryError = undefined;
    await expect(again.query('select 1', [])).resolves.toMatchObject({ rows: [] });
    again.release();
    expect(inner.released).toEqual([undefined, undefined]);
  });

  it('after a query the server never answered, fails the next connections at once for the pause', async () => {
    const client = await pool.connect();
    inner.queryError = new Error('Query read timeout');
    await expect(client.query('select 1', [])).rejects.toBe(inner.queryError);
    client.release();
    // The audit write of the failure, in the same request, does not wait a second timeout.
    const fast = await pool.connect().catch((error: unknown) => error);
    expect(isDatabaseUnavailable(fast)).toBe(true);
    expect(inner.attempts).toBe(1);
    now += 1000;
    inner.queryError = undefined;
    await expect(pool.connect()).resolves.toBeDefined();
    expect(inner.attempts).toBe(2);
  });
});
