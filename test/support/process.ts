import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');
export const CLI = join(ROOT, 'dist', 'cli.js');

/** Suites that spawn the real server need `dist/`; `npm test` builds it first (pretest). */
export function ensureBuilt(): void {
  if (existsSync(MAIN) && existsSync(CLI)) return;
  const result = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('nest build failed');
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const createdDirs: string[] = [];
// Jest runs each suite file in a worker that exits when done; the folders go with it.
process.once('exit', () => {
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder with the env of an isolated instance: its own SQLite file, data and logs. */
/** An empty folder, removed when the suite's worker exits. */
export function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-empty-'));
  createdDirs.push(dir);
  return dir;
}

export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-proc-'));
  createdDirs.push(dir);
  return {
    NODE_ENV: 'test',
    DATA_DIR: join(dir, 'data'),
    DATABASE_URL: `sqlite:${join(dir, 'data', 'gatehouse.db')}`,
    AUDIT_LOG_DIR: join(dir, 'logs'),
    REPORT_DIR: join(dir, 'reports'),
    LOG_FORMAT: 'json',
    ...extra,
  };
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  // Nothing of the developer's own environment leaks into the child but PATH and HOME.
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with how the process ended: an exit code or the signal that ended it. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node dist/main.js` and resolves once `/health` answers. The bound is generous: on a
 * busy two-core machine, loading the modules alone was measured at 18 s.
 */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  ensureBuilt();
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: childEnv({ HOST: '127.0.0.1', ...env, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200 || response.status === 503) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return {
    url,
    port,
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js …` with the given stdin (in `cwd`, the repository by default). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  stdin = '',
  cwd = ROOT,
): CliResult {
  ensureBuilt();
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: childEnv(env),
    input: stdin,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `runCli` without blocking the test's event loop: for suites that hold keep-alive connections
 * to running servers. A blocked loop cannot see a server close an idle socket (its keep-alive
 * timeout is 5 s), so the next request would go out on a socket already closed ("other side
 * closed") whenever the CLI takes longer than that.
 */
export function runCliAsync(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<CliResult> {
  ensureBuilt();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}
