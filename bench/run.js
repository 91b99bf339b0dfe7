'use strict';
/**
 * `npm run bench [-- --quick] [-- --pg] [-- --redis] [-- --skip-build] [-- --only a,b,c,d,e,g,h,p]`
 *
 * Builds, starts the real server (node dist/main.js) as a child process on a fresh SQLite file
 * (PostgreSQL with --pg, Redis with --redis), drives it with autocannon from another child
 * process, runs the in-process measurements in children of their own, and writes
 * bench/results.json and the figures of docs/benchmarks.md. Ratios are taken within one run:
 * absolute figures on shared machines drift from run to run.
 */
const Database = require('better-sqlite3');
const { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const os = require('node:os');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
const u = require('./lib/util');
const { renderResults, writeReport } = require('./lib/report');
const { offlineScenario } = require('./review-file');

const METRICS_TOKEN = 'bench-metrics-token-2b7e151628aed2a6';
const ADMIN = { username: 'bench-admin', password: 'Bench-admin-password-9f4e2c71' };
const LOGIN_USERS = 20;

function parseArgs(argv) {
  const only = argv.find((arg) => arg.startsWith('--only='));
  return {
    quick: argv.includes('--quick'),
    pg: argv.includes('--pg'),
    redis: argv.includes('--redis'),
    skipBuild: argv.includes('--skip-build'),
    cpuProf: argv.includes('--cpu-prof'),
    only: only ? new Set(only.slice('--only='.length).split(',')) : undefined,
    // --server-env=NAME=value (repeatable): extra environment of the server under test.
    serverEnv: Object.fromEntries(
      argv
        .filter((arg) => arg.startsWith('--server-env='))
        .map((arg) => {
          const pair = arg.slice('--server-env='.length);
          return [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
        }),
    ),
  };
}

function plan(quick) {
  return quick
    ? {
        guardRounds: 2,
        guardSeconds: 2,
        guardConnections: 20,
        loginAmount: 200,
        loginSequential: 20,
        auditRecords: 500,
        reviewSizes: [25_000, 50_000, 100_000],
        reviewRepetitions: 1,
      }
    : {
        guardRounds: 8,
        guardSeconds: 3,
        guardConnections: 20,
        loginAmount: 2000,
        loginSequential: 50,
        auditRecords: 5000,
        reviewSizes: [250_000, 500_000, 1_000_000],
        reviewRepetitions: 2,
      };
}

function pgUrl() {
  return process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
}

/** A fresh PostgreSQL database of its own (never the tests' one); returns its URL and a drop. */
async function freshPgDatabase(name) {
  const { Client } = require('pg');
  const admin = new Client({ connectionString: pgUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: pgUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

function load(spec) {
  return u.runWorker('load.js', [JSON.stringify(spec)]);
}

/** Cookies of a Set-Cookie list, as a Cookie header, and the CSRF value. */
function cookiesOf(response) {
  const jar = {};
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const index = pair.indexOf('=');
    jar[pair.slice(0, index)] = pair.slice(index + 1);
  }
  return {
    cookie: Object.entries(jar)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}=${value}`)
      .join('; '),
    csrf: jar.csrf_token ?? jar['__Host-csrf_token'],
  };
}

/** Counts every login request the bench sends and sees answered, for scenario (f). */
class LoginLedger {
  answered = 0;
  unanswered = 0;

  async login(server, credentials) {
    const response = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    });
    this.answered += 1;
    if (response.status !== 200)
      throw new Error(`login of ${credentials.username} answered ${response.status}`);
    return cookiesOf(response);
  }

  addLoad(result) {
    this.answered += result.answered;
    this.unanswered += result.errors + result.timeouts;
  }
}

async function createLoginUsers(server, ledger) {
  const admin = await ledger.login(server, ADMIN);
  const users = [];
  for (let i = 1; i <= LOGIN_USERS; i += 1) {
    const user = {
      username: `bench-user-${i}`,
      password: `Tangerine-orbit-${i}-${'x'.repeat(4)}-kite`,
    };
    const response = await fetch(`${server.url}/users`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: admin.cookie,
        'x-csrf-token': admin.csrf,
      },
      body: JSON.stringify({ ...user, roles: ['user'] }),
    });
    if (response.status !== 201)
      throw new Error(
        `creating ${user.username} answered ${response.status}: ${await response.text()}`,
      );
    users.push(user);
  }
  return users;
}

/** (a) A public route against GET /auth/me with a valid cookie, interleaved A/B/A/B. */
async function guardCost(server, ledger, users, p) {
  const { cookie } = await ledger.login(server, users[0]);
  const me = await fetch(`${server.url}/auth/me`, { headers: { cookie } });
  if (me.status !== 200) throw new Error(`/auth/me answered ${me.status}`);
  const base = { url: server.url, connections: p.guardConnections, duration: p.guardSeconds };
  // Warm-up of both routes (JIT, caches), not counted.
  await load({ ...base, duration: 2, path: '/health' });
  await load({ ...base, duration: 2, path: '/auth/me', headers: { cookie } });
  // Server CPU time per request (process_cpu_seconds_total around each run): steadier than
  // throughput when other processes share the machine.
  const measured = async (spec) => {
    const before = await u.scrape(server, METRICS_TOKEN);
    const run = await load(spec);
    const after = await u.scrape(server, METRICS_TOKEN);
    const cpuSeconds =
      after.get('process_cpu_seconds_total') - before.get('process_cpu_seconds_total');
    return { ...run, cpuUsPerRequest: (cpuSeconds * 1e6) / run.answered };
  };
  const rounds = [];
  const loadAverageBefore = os.loadavg()[0];
  for (let round = 0; round < p.guardRounds; round += 1) {
    const publicRun = await measured({ ...base, path: '/health' });
    const protectedRun = await measured({ ...base, path: '/auth/me', headers: { cookie } });
    for (const run of [publicRun, protectedRun]) {
      if (run.statusCodes['200'] !== run.answered)
        throw new Error(
          `${run.path}: not every answer was 200: ${JSON.stringify(run.statusCodes)}`,
        );
    }
    rounds.push({
      public: publicRun,
      protected: protectedRun,
      ratio: protectedRun.requestsPerSec / publicRun.requestsPerSec,
    });
    u.log(
      `(a) round ${round + 1}: public ${publicRun.requestsPerSec.toFixed(0)} req/s (${publicRun.cpuUsPerRequest.toFixed(0)} µs CPU), protected ${protectedRun.requestsPerSec.toFixed(0)} req/s (${protectedRun.cpuUsPerRequest.toFixed(0)} µs CPU)`,
    );
  }
  const total = (key) => {
    const answered = rounds.reduce((sum, round) => sum + round[key].answered, 0);
    const seconds = rounds.reduce((sum, round) => sum + round[key].durationSec, 0);
    return answered / seconds;
  };
  const meanOf = (key, field) =>
    rounds.reduce((sum, round) => sum + round[key][field], 0) / rounds.length;
  const meanP99 = (key) =>
    rounds.reduce((sum, round) => sum + round[key].latencyMs.p99, 0) / rounds.length;
  const publicRps = total('public');
  const protectedRps = total('protected');
  const ratios = rounds.map((round) => round.ratio).sort((a, b) => a - b);
  const medianRatio =
    ratios.length % 2
      ? ratios[(ratios.length - 1) / 2]
      : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
  return {
    loadAverageBefore,
    loadAverageAfter: os.loadavg()[0],
    medianRoundRatio: medianRatio,
    costPercentMedian: (1 - medianRatio) * 100,
    publicRoute: 'GET /health',
    protectedRoute: 'GET /auth/me (valid access cookie)',
    connections: p.guardConnections,
    secondsPerRun: p.guardSeconds,
    rounds: rounds.map((round) => ({
      publicRps: round.public.requestsPerSec,
      protectedRps: round.protected.requestsPerSec,
      ratio: round.ratio,
      publicP99Ms: round.public.latencyMs.p99,
      protectedP99Ms: round.protected.latencyMs.p99,
      publicCpuUs: round.public.cpuUsPerRequest,
      protectedCpuUs: round.protected.cpuUsPerRequest,
    })),
    publicCpuUsPerRequest: meanOf('public', 'cpuUsPerRequest'),
    protectedCpuUsPerRequest: meanOf('protected', 'cpuUsPerRequest'),
    publicRps,
    protectedRps,
    ratio: protectedRps / publicRps,
    costPercent: (1 - protectedRps / publicRps) * 100,
    publicP99Ms: meanP99('public'),
    protectedP99Ms: meanP99('protected'),
  };
}

/** (b) 50 concurrent logins, half of them with a wrong password. */
async function loginLoad(server, ledger, users, p) {
  const base = { url: server.url, path: '/auth/login', logins: { users, wrongEvery: 2 } };
  // Unloaded latency first, one login at a time: the denominator of the audit share (c).
  const sequential = await load({ ...base, connections: 1, amount: p.loginSequential });
  ledger.addLoad(sequential);
  const before = await u.scrape(server, METRICS_TOKEN); // also resets the event-loop histogram
  // A control: the event-loop delay of this (idle) process during the same run shows what the
  // machine's CPU contention alone does to any process's timers.
  const bystander = monitorEventLoopDelay({ resolution: 10 });
  bystander.enable();
  const loadAverageBefore = os.loadavg()[0];
  const run = await load({ ...base, connections: 50, amount: p.loginAmount });
  bystander.disable();
  ledger.addLoad(run);
  const after = await u.scrape(server, METRICS_TOKEN);
  const lagP99Raw = after.get('nodejs_eventloop_lag_p99_seconds') * 1000;
  const lagResolutionMs = 10;
  const attempts = (labels) =>
    u.sumSeries(after, 'gatehouse_login_attempts_total', labels) -
    u.sumSeries(before, 'gatehouse_login_attempts_total', labels);
  u.log(
    `(b) ${run.requestsPerSec.toFixed(1)} logins/s, p99 ${run.latencyMs.p99} ms, event-loop p99 ${lagP99Raw.toFixed(1)} ms`,
  );
  return {
    concurrency: 50,
    logins: p.loginAmount,
    wrongPasswordShare: 0.5,
    loginsPerSec: run.requestsPerSec,
    latencyMs: run.latencyMs,
    statusCodes: run.statusCodes,
    errors: run.errors,
    timeouts: run.timeouts,
    sequentialLatencyMs: sequential.latencyMs,
    // All server threads: the event loop and the hashing threads.
    serverCpuMsPerLogin:
      ((after.get('process_cpu_seconds_total') - before.get('process_cpu_seconds_total')) * 1000) /
      run.answered,
    eventLoop: {
      resolutionMs: lagResolutionMs,
      p99RawMs: lagP99Raw,
      p99DelayMs: Math.max(0, lagP99Raw - lagResolutionMs),
      maxRawMs: after.get('nodejs_eventloop_lag_max_seconds') * 1000,
      bystanderP99DelayMs: Math.max(0, bystander.percentile(99) / 1e6 - lagResolutionMs),
      loadAverageBefore,
      loadAverageAfter: os.loadavg()[0],
    },
    serverAuditInsertMs: {
      p50: u.histogramQuantile(before, after, 'gatehouse_audit_write_duration_seconds', 0.5) * 1000,
      p99:
        u.histogramQuantile(before, after, 'gatehouse_audit_write_duration_seconds', 0.99) * 1000,
    },
    metricsLoginAttempts: {
      success: attempts('outcome="success"'),
      failure: attempts('outcome="failure"'),
    },
  };
}

/** (f) Login events in the database against login answers the load generator saw. */
async function zeroLoss(databaseUrl, ledger) {
  const query = `SELECT COUNT(*) AS n FROM audit_events WHERE method = 'POST' AND path = '/auth/login'
    AND type IN ('authn_login_success','authn_login_successafterfail','authn_login_fail','authn_login_fail_max',
                 'authn_login_lock','malicious_csrf','excess_rate_limit_exceeded','input_validation_fail')
    AND NOT (type = 'authn_login_lock' AND outcome = 'success')`;
  let events;
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    events = db.prepare(query).get().n;
    db.close();
  } else {
    const { Client } = require('pg');
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    events = Number((await client.query(query)).rows[0].n);
    await client.end();
  }
  return {
    loginRequestsAnswered: ledger.answered,
    loginRequestsUnanswered: ledger.unanswered,
    loginEventsInDatabase: events,
    lost: ledger.answered - events,
  };
}

async function serverScenarios(args, p, results) {
  const dir = u.workDir('server');
  const extra = {
    // Generous, so neither the general limiter nor the lockout shapes the figures (see docs).
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOGIN_PAIR_MAX_FAILURES: '1000',
    LOGIN_USER_MAX_FAILURES: '100000',
    LOGIN_IP_MAX_FAILURES: '1000000',
    METRICS_ENABLED: 'true',
    METRICS_TOKEN,
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  };
  let pg;
  if (args.pg) {
    pg = await freshPgDatabase('gatehouse_bench_server');
    extra.DATABASE_URL = pg.url;
  }
  if (args.redis) extra.REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
  const env = u.isolatedEnv(dir, { ...extra, ...args.serverEnv });
  const nodeArgs = args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profile')}`] : [];
  u.log(`starting the server (${env.DATABASE_URL.split(':')[0]}${args.redis ? ' + redis' : ''})…`);
  const server = await u.startServer(env, { nodeArgs });
  const ledger = new LoginLedger();
  try {
    const users = await createLoginUsers(server, ledger);
    if (!args.only || args.only.has('a')) {
      u.log('(a) guard cost…');
      results.scenarios.guard = await guardCost(server, ledger, users, p);
    }
    if (!args.only || args.only.has('b')) {
      u.log('(b) login under load…');
      results.scenarios.login = await loginLoad(server, ledger, users, p);
    }
  } finally {
    const ended = await server.stop();
    if (ended.code !== 0 && ended.signal !== 'SIGTERM')
      u.log(`server ended with ${ended.code ?? ended.signal}:\n${server.output().slice(-2000)}`);
  }
  if (args.cpuProf) results.profileDir = join(dir, 'profile');
  results.scenarios.zeroLoss = await zeroLoss(env.DATABASE_URL, ledger);
  u.log(
    `(f) answered ${ledger.answered}, in the database ${results.scenarios.zeroLoss.loginEventsInDatabase}`,
  );
  if (pg) await pg.drop();
  // The profile stays for bench/profile-summary.js; the rest of the instance goes.
  if (!args.cpuProf) rmSync(dir, { recursive: true, force: true });
}

async function auditWriteCost(args, p, results) {
  const runOne = async (databaseUrl) => {
    const dir = u.workDir('audit');
    const env = u.isolatedEnv(dir, databaseUrl ? { DATABASE_URL: databaseUrl } : {});
    mkdirSync(env.DATA_DIR, { recursive: true });
    try {
      return await u.runWorker('audit-write.js', [String(p.auditRecords)], { env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  u.log('(c) audit write cost on SQLite…');
  const sqlite = await runOne();
  let postgres;
  if (args.pg || process.env.TEST_POSTGRES_URL) {
    u.log('(c) audit write cost on PostgreSQL…');
    const pg = await freshPgDatabase('gatehouse_bench_audit');
    try {
      postgres = await runOne(pg.url);
    } finally {
      await pg.drop();
    }
  }
  const login = results.scenarios.login;
  results.scenarios.auditWrite = {
    records: p.auditRecords,
    sqlite,
    postgres,
    loginP50Ms: login?.sequentialLatencyMs.p50,
    shareOfLoginP50: login ? sqlite.recordMs.p50 / login.sequentialLatencyMs.p50 : undefined,
  };
}

async function reviewScenarios(args, p, results) {
  const sizes = p.reviewSizes;
  const largest = sizes[sizes.length - 1];
  const dir = u.workDir('review');
  const jsonl = join(dir, `events-${largest}.jsonl`);
  const runs = [];
  if (!args.only || args.only.has('d')) {
    for (const size of sizes) {
      const sizeDir = join(dir, String(size));
      const env = u.isolatedEnv(sizeDir);
      mkdirSync(env.DATA_DIR, { recursive: true });
      const dbFile = env.DATABASE_URL.slice('sqlite:'.length);
      await u.runChild(process.execPath, [u.CLI, 'db:migrate'], { env });
      u.log(`(d) generating ${size.toLocaleString('en-US')} events…`);
      const generated = await u.runWorker('generate-events.js', [
        String(size),
        dbFile,
        size === largest ? jsonl : '-',
      ]);
      const databaseMiB = statSync(dbFile).size / 2 ** 20;
      // Each repetition reviews a fresh copy (a run seals its window, so a second run on the
      // same file would find nothing new). The fastest run is the one least disturbed by other
      // processes; every run is kept in results.json, and the peak RSS is the highest of all.
      const pristine = `${dbFile}.pristine`;
      copyFileSync(dbFile, pristine);
      const attempts = [];
      for (let repetition = 0; repetition < p.reviewRepetitions; repetition += 1) {
        if (repetition > 0) {
          rmSync(`${dbFile}-wal`, { force: true });
          rmSync(`${dbFile}-shm`, { force: true });
          copyFileSync(pristine, dbFile);
        }
        u.log(
          `(d) reviewing ${size.toLocaleString('en-US')} events (run ${repetition + 1}/${p.reviewRepetitions})…`,
        );
        const attempt = await u.runWorker('review-db.js', [], { env });
        if (attempt.status !== 'completed')
          throw new Error(`review of ${size} events: ${attempt.status}`);
        attempts.push(attempt);
      }
      const review = attempts.reduce((best, attempt) =>
        attempt.durationMs < best.durationMs ? attempt : best,
      );
      runs.push({
        size,
        generatedSeconds: generated.seconds,
        databaseMiB,
        ...review,
        peakRssMiB: Math.max(...attempts.map((attempt) => attempt.peakRssMiB)),
        attemptsMs: attempts.map((attempt) => attempt.durationMs),
        missing: attempts.flatMap((attempt) => attempt.missing),
        eventsPerSec: review.eventsReviewed / (review.durationMs / 1000),
      });
      u.log(
        `(d) ${size}: ${(review.durationMs / 1000).toFixed(2)} s, peak RSS ${review.peakRssMiB.toFixed(0)} MiB, missed ${review.missing.length}`,
      );
      rmSync(sizeDir, { recursive: true, force: true });
    }
    results.scenarios.review = {
      runs,
      scalingExponent: u.logLogSlope(
        runs.map((run) => ({ x: run.eventsReviewed, y: run.durationMs })),
      ),
    };
  }
  if (!args.only || args.only.has('e')) {
    if (!existsSync(jsonl)) await u.runWorker('generate-events.js', [String(largest), '-', jsonl]);
    u.log(`(e) offline review of ${largest.toLocaleString('en-US')} JSON lines…`);
    const env = u.isolatedEnv(join(dir, 'offline'));
    results.scenarios.offline = await offlineScenario({
      jsonl,
      dir,
      events: largest,
      repetitions: p.reviewRepetitions,
      env,
    });
    results.scenarios.offline.fileMiB = statSync(jsonl).size / 2 ** 20;
    const offline = results.scenarios.offline;
    u.log(
      `(e) ${(offline.wallMs / 1000).toFixed(2)} s, peak RSS ${offline.peakRssMiB?.toFixed(0)} MiB; ${offline.fail2ban.ratio ? `fail2ban-regex ${(offline.fail2ban.wallMs / 1000).toFixed(2)} s (${offline.fail2ban.ratio.toFixed(1)}×)` : offline.fail2ban.skipped}; gzip ${(offline.gzip.wallMs / 1000).toFixed(2)} s; first line ≤ ${offline.firstLineMs.median.toFixed(0)} ms`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const p = plan(args.quick);
  const repetitions = process.argv.find((arg) => arg.startsWith('--review-repetitions='));
  if (repetitions) p.reviewRepetitions = Number(repetitions.split('=')[1]);
  const started = performance.now();
  const results = {
    generatedAt: new Date().toISOString(),
    mode: args.quick ? 'quick' : 'full',
    options: { pg: args.pg, redis: args.redis, serverEnv: args.serverEnv },
    machine: u.machine(),
    plan: p,
    scenarios: {},
  };
  if (!args.skipBuild) u.build();
  const wants = (letter) => !args.only || args.only.has(letter);
  if (wants('a') || wants('b') || wants('f')) await serverScenarios(args, p, results);
  if (wants('c')) await auditWriteCost(args, p, results);
  if (wants('d') || wants('e')) await reviewScenarios(args, p, results);
  if (wants('p')) {
    u.log('(p) Express against Fastify: the protected route and a constant public route…');
    results.scenarios.platforms = await require('./platforms').platformComparison({
      load,
      admin: ADMIN,
      plan: p,
      serverEnv: args.serverEnv,
      cpuProf: args.cpuProf,
    });
    const platforms = results.scenarios.platforms;
    u.log(
      `(p) Fastify/Express on the protected route ${platforms.fastifyOverExpressProtected.toFixed(2)}×; Fastify protected/constant ${platforms.fastifyProtectedOverConstant.toFixed(3)}`,
    );
  }
  if (wants('g')) {
    u.log('(g) login flood: 300 unknown-user logins while a known user logs in…');
    results.scenarios.flood = await require('./login-flood').loginFlood(args);
    const flood = results.scenarios.flood;
    u.log(
      `(g) known user answered ${flood.knownStatus} in ${flood.knownMs} ms (idle ${flood.knownIdleMs} ms); flood answers ${JSON.stringify(flood.floodAnswers)}; other 5xx: ${flood.other5xx}`,
    );
  }
  if (wants('h')) {
    u.log('(h) login timing with a stored hash weaker than the current argon2 parameters…');
    results.scenarios.timing = await require('./login-timing').loginTiming();
    const timing = results.scenarios.timing;
    u.log(`(h) medians ${JSON.stringify(timing.mediansMs)} ms; spread ${timing.spreadPercent} %`);
  }
  results.totalSeconds = (performance.now() - started) / 1000;

  // A partial run (--only) never replaces the published figures.
  const resultsFile = join(u.ROOT, 'bench', args.only ? 'results-partial.json' : 'results.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  if (args.only) {
    u.log(
      `wrote ${resultsFile} in ${results.totalSeconds.toFixed(0)} s (partial run: docs/benchmarks.md left as it is)`,
    );
  } else {
    const docFile = join(u.ROOT, 'docs', 'benchmarks.md');
    writeReport(docFile, results);
    u.log(`wrote ${resultsFile} and ${docFile} in ${results.totalSeconds.toFixed(0)} s`);
  }
  process.stdout.write(`${renderResults(results).table}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
