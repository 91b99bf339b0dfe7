import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { freePort } from './process';

/** The shared Redis of the test machine; tests touch only keys under their own prefix. */
export const redisUrl = process.env.TEST_REDIS_URL;

/** A key prefix no other test run uses. */
export function uniqueKeyPrefix(): string {
  return `gh_test_${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS) and closes the connection. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Runs `body` when TEST_REDIS_URL is set; otherwise reports the block as skipped, never drops it
 * silently (the same pattern as `describeEachDialect`).
 */
export function describeWithRedis(title: string, body: (url: string) => void): void {
  const label = redisUrl ? title : `${title} [skipped: TEST_REDIS_URL not set]`;
  (redisUrl ? describe : describe.skip)(label, () => body(redisUrl ?? ''));
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** Stops the server the way an outage would: `redis-cli -p … shutdown nosave`. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is saved). */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): sockets stay open, nothing is answered, as with a hung server. */
  pause(): void;
  /** Thaws it (SIGCONT). */
  resume(): void;
  /** Stops it for good, whatever its state. */
  dispose(): Promise<void>;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function pings(port: number): boolean {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], {
    encoding: 'utf8',
    timeout: 2000,
  });
  return result.stdout.trim() === 'PONG';
}

/**
 * A redis-server of the test's own, on a free port, with no persistence, so a test can stop it
 * and start it again without touching the shared one.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const server = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    child = server;
    await waitFor(() => server.exitCode !== null || pings(port), `redis-server on port ${port}`);
    if (server.exitCode !== null)
      throw new Error(`redis-server on port ${port} exited with ${server.exitCode}`);
  };
  const exited = (server: ChildProcess): Promise<void> =>
    server.exitCode !== null || server.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => server.once('exit', () => resolve()));
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    pause: () => {
      child?.kill('SIGSTOP');
    },
    resume: () => {
      child?.kill('SIGCONT');
    },
    shutdown: async () => {
      const server = child;
      spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'shutdown', 'nosave'], {
        timeout: 5000,
      });
      if (server) await exited(server);
    },
    dispose: async () => {
      const server = child;
      if (server && server.exitCode === null && server.signalCode === null) {
        server.kill('SIGCONT');
        server.kill('SIGKILL');
        await exited(server);
      }
    },
  };
}
