import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { isDatabaseUnavailable } from './database-errors';
import { FailFastPool } from './fail-fast.pool';

class ScriptedPool implements PostgresPool {
  attempts = 0;
  failWith: Error | undefined;
  readonly client = { release: () => undefined } as unknown as PostgresPoolClient;

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
    await expect(pool.connect()).resolves.toBe(inner.client);
    await expect(pool.connect()).resolves.toBe(inner.client);
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
    await expect(pool.connect()).resolves.toBe(inner.client);
    expect(inner.attempts).toBe(2);
  });

  it('does not pause on errors that are not about reaching the database', async () => {
    inner.failWith = new Error('password authentication failed');
    await expect(pool.connect()).rejects.toBe(inner.failWith);
    await expect(pool.connect()).rejects.toBe(inner.failWith);
    expect(inner.attempts).toBe(2);
  });
});
