'use strict';
/**
 * Shared helpers of the benchmark scripts: child processes, the server under test, the
 * machine description, Prometheus text and statistics. Plain CommonJS, so `npm run bench`
 * needs nothing but `npm ci` and the build it runs itself.
 */
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdirSync, mkdtempSync, readFileSync } = require('node:fs');
const { createServer } = require('node:net');
const os = require('node:os');
const { join, resolve } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const ROOT = resolve(__dirname, '..', '..');
const WORK = join(ROOT, 'bench', '.work');
const MAIN = join(ROOT, 'dist', 'main.js');
const CLI = join(ROOT, 'dist', 'cli.js');

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** A fresh folder under bench/.work (git-ignored). */
function workDir(prefix) {
  mkdirSync(WORK, { recursive: true });
  return mkdtempSync(join(WORK, `${prefix}-`));
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** The environment of an isolated instance: its own data dir, SQLite file, logs and reports. */
function isolatedEnv(dir, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DATA_DIR: join(dir, 'data'),
    DATABASE_URL: `sqlite:${join(dir, 'data', 'gatehouse.db')}`,
    AUDIT_LOG_DIR: join(dir, 'logs'),
    REPORT_DIR: join(dir, 'reports'),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
    COOKIE_SECURE: 'false',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    REVIEW_ENABLED: 'false',
    ...extra,
  };
}

/** Runs a child to completion; resolves with its stdout, rejects with its stderr tail. */
function runChild(command, args, options = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolveRun(stdout);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} ended with ${code ?? signal}:\n${stderr.slice(-3000)}`,
          ),
        );
    });
  });
}

/** Runs a bench worker script (`node bench/<script>`) and parses the JSON it prints last. */
async function runWorker(script, args = [], options = {}) {
  const nodeArgs = [...(options.nodeArgs ?? []), join(ROOT, 'bench', script), ...args];
  const stdout = await runChild(process.execPath, nodeArgs, options);
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Starts `node dist/main.js` and resolves once `/health` answers 200. */
async function startServer(env, { nodeArgs = [], timeoutMs = 30_000, script = MAIN } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolveExit) =>
    child.on('exit', (code, signal) => resolveExit({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output.slice(-3000)}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer within ${timeoutMs} ms:\n${output.slice(-3000)}`);
    }
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

function build() {
  log('building (npx nest build)…');
  const result = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('nest build failed');
}

function machine() {
  const cpus = os.cpus();
  let nproc = cpus.length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // nproc is a coreutils tool; os.cpus() is the fallback
  }
  let sqlite;
  try {
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    sqlite = db.prepare('select sqlite_version() as v').get().v;
    db.close();
  } catch {
    sqlite = 'unknown';
  }
  return {
    nproc,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    sqlite,
    autocannon: require('autocannon/package.json').version,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  };
}

/** `name{labels} value` lines of Prometheus text, as a map from the series to its value. */
function parseMetrics(text) {
  const series = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

async function scrape(server, token) {
  const response = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** Sum of the series whose name (before `{`) is `name`, optionally filtered by a label text. */
function sumSeries(series, name, contains = '') {
  let total = 0;
  for (const [key, value] of series) {
    const base = key.includes('{') ? key.slice(0, key.indexOf('{')) : key;
    if (base === name && key.includes(contains)) total += value;
  }
  return total;
}

/** Quantile of a Prometheus histogram (linear inside a bucket), from two scrapes' difference. */
function histogramQuantile(before, after, name, q) {
  const buckets = [];
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(key)[1];
    buckets.push({
      le: le === '+Inf' ? Infinity : Number(le),
      count: value - (before.get(key) ?? 0),
    });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.length ? buckets[buckets.length - 1].count : 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return previousLe;
      const inBucket = bucket.count - previousCount;
      return (
        previousLe +
        (bucket.le - previousLe) * (inBucket === 0 ? 0 : (rank - previousCount) / inBucket)
      );
    }
    previousLe = bucket.le;
    previousCount = bucket.count;
  }
  return previousLe;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Least-squares slope of log(y) over log(x): 1 means linear growth. */
function logLogSlope(points) {
  const xs = points.map((point) => Math.log(point.x));
  const ys = points.map((point) => Math.log(point.y));
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
}

function round(value, digits = 2) {
  if (value === undefined || value === null || Number.isNaN(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

module.exports = {
  ROOT,
  WORK,
  MAIN,
  CLI,
  log,
  workDir,
  isolatedEnv,
  runChild,
  runWorker,
  startServer,
  build,
  machine,
  parseMetrics,
  scrape,
  sumSeries,
  histogramQuantile,
  percentile,
  logLogSlope,
  round,
  readJson,
  sleep,
};
