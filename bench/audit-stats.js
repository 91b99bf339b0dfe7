'use strict';
/**
 * `node bench/audit-stats.js [events=1000000] [requests=30]`
 *
 * DESIGN.md: `GET /audit/stats` for 7 days of hourly buckets over 1,000,000 events answers in
 * < 200 ms p50 on SQLite. Generates the synthetic day of bench/lib/synthetic-events.js (all of
 * it inside the default 7-day window, the worst case), starts the real server on that file,
 * and times sequential requests of the console's overview after a warm-up. Needs `npm run
 * build` first. Prints the figures and one JSON line (for bench/results.json).
 */
const { mkdirSync, statSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const u = require('./lib/util');

const ADMIN = { username: 'bench-admin', password: 'Bench-admin-password-9f4e2c71' };
const BUDGET_MS = 200;

async function main() {
  const events = Number(process.argv[2] ?? 1_000_000);
  const requests = Number(process.argv[3] ?? 30);
  const dir = u.workDir('stats');
  const env = u.isolatedEnv(dir, {
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  mkdirSync(env.DATA_DIR, { recursive: true });
  const dbFile = env.DATABASE_URL.slice('sqlite:'.length);
  await u.runChild(process.execPath, [u.CLI, 'db:migrate'], { env });
  u.log(`(stats) generating ${events.toLocaleString('en-US')} events…`);
  await u.runWorker('generate-events.js', [String(events), dbFile]);
  const server = await u.startServer(env);
  try {
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    if (login.status !== 200) throw new Error(`login: ${login.status}`);
    const cookie = login.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .join('; ');
    const once = async (query) => {
      const started = performance.now();
      const response = await fetch(`${server.url}/audit/stats${query}`, { headers: { cookie } });
      const body = await response.json();
      const ms = performance.now() - started;
      if (response.status !== 200)
        throw new Error(`stats: ${response.status} ${JSON.stringify(body)}`);
      return { ms, body };
    };
    // Warm-up: page cache and prepared statements, as a running service has them.
    const first = await once('');
    const counted = first.body.series.reduce(
      (sum, p) => sum + p.success + p.failure + p.refused,
      0,
    );
    for (let i = 0; i < 3; i++) await once('');
    const times = [];
    for (let i = 0; i < requests; i++) times.push((await once('')).ms);
    times.sort((a, b) => a - b);
    const daily = [];
    for (let i = 0; i < Math.min(requests, 10); i++) daily.push((await once('?bucket=1d')).ms);
    daily.sort((a, b) => a - b);
    const result = {
      scenario: 'audit-stats',
      events,
      databaseMiB: u.round(statSync(dbFile).size / 2 ** 20, 1),
      buckets: first.body.series.length,
      loginEventsCounted: counted,
      requests,
      p50Ms: u.round(u.percentile(times, 50), 1),
      p90Ms: u.round(u.percentile(times, 90), 1),
      maxMs: u.round(times[times.length - 1], 1),
      dailyP50Ms: u.round(u.percentile(daily, 50), 1),
      budgetMs: BUDGET_MS,
      machine: u.machine(),
    };
    u.log(
      `(stats) GET /audit/stats, 7 days hourly over ${events.toLocaleString('en-US')} events: ` +
        `p50 ${result.p50Ms} ms, p90 ${result.p90Ms} ms (budget ${BUDGET_MS} ms p50); daily p50 ${result.dailyP50Ms} ms`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.p50Ms >= BUDGET_MS) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
