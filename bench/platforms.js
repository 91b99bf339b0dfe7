'use strict';
/**
 * Scenario (p): the same routes on Express and on Fastify, in one run. Two servers (the service
 * plus a trivial `@Public()` route, bench/platform-server.js), one per platform, started side by
 * side; interleaved rounds of the four runs (Express protected, Express constant, Fastify
 * protected, Fastify constant), as scenario (a) interleaves its two, so drift on a shared
 * machine falls on all four alike. Bars (DESIGN.md): on Fastify the protected route serves at
 * least 2× the requests per second of the same route on Express, and at least 0.85× of
 * Fastify's trivial public route.
 */
const { join } = require('node:path');
const { readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const u = require('./lib/util');

const PLATFORMS = ['express', 'fastify'];
const ROUTES = { protected: '/auth/me', constant: '/bench/constant' };

/**
 * CPU seconds (user + system) the process has used, from /proc (Linux): the server's cost per
 * request, which other processes on a loaded machine disturb far less than its throughput.
 */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function accessCookie(server, credentials) {
  const response = await fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (response.status !== 200) throw new Error(`login answered ${response.status}`);
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
  const me = await fetch(`${server.url}${ROUTES.protected}`, { headers: { cookie } });
  if (me.status !== 200) throw new Error(`${ROUTES.protected} answered ${me.status}`);
  return cookie;
}

async function platformComparison({ load, admin, plan, serverEnv = {}, cpuProf = false }) {
  const servers = {};
  const dirs = [];
  try {
    for (const platform of PLATFORMS) {
      const dir = u.workDir(`platform-${platform}`);
      dirs.push(dir);
      const env = u.isolatedEnv(dir, {
        RATE_LIMIT_PER_MINUTE: '1000000',
        BOOTSTRAP_ADMIN_USERNAME: admin.username,
        BOOTSTRAP_ADMIN_PASSWORD: admin.password,
        ...serverEnv,
        HTTP_ADAPTER: platform,
      });
      const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profile')}`] : [];
      servers[platform] = await u.startServer(env, {
        nodeArgs,
        script: join(__dirname, 'platform-server.js'),
      });
      servers[platform].cookie = await accessCookie(servers[platform], admin);
    }
    const spec = (platform, route) => ({
      url: servers[platform].url,
      path: ROUTES[route],
      headers: route === 'protected' ? { cookie: servers[platform].cookie } : {},
      connections: plan.guardConnections,
      duration: plan.guardSeconds,
    });
    for (const platform of PLATFORMS)
      for (const route of Object.keys(ROUTES))
        await load({ ...spec(platform, route), duration: 2 });
    const rounds = [];
    const loadAverageBefore = os.loadavg()[0];
    for (let round = 0; round < plan.guardRounds; round += 1) {
      const figures = {};
      for (const platform of PLATFORMS) {
        for (const route of Object.keys(ROUTES)) {
          const cpuBefore = cpuSeconds(servers[platform].pid);
          const run = await load(spec(platform, route));
          const cpuAfter = cpuSeconds(servers[platform].pid);
          if (run.statusCodes['200'] !== run.answered)
            throw new Error(`${platform} ${run.path}: ${JSON.stringify(run.statusCodes)}`);
          figures[`${platform}_${route}`] = {
            rps: run.requestsPerSec,
            p99Ms: run.latencyMs.p99,
            answered: run.answered,
            seconds: run.durationSec,
            cpuUsPerRequest:
              cpuBefore === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / run.answered,
          };
        }
      }
      rounds.push(figures);
      u.log(
        `(p) round ${round + 1}: ${Object.entries(figures)
          .map(([key, value]) => `${key} ${value.rps.toFixed(0)}`)
          .join(', ')} req/s`,
      );
    }
    const pooled = (key) =>
      rounds.reduce((sum, r) => sum + r[key].answered, 0) /
      rounds.reduce((sum, r) => sum + r[key].seconds, 0);
    const cpuUs = Object.fromEntries(
      Object.keys(rounds[0]).map((key) => [
        key,
        rounds.reduce((sum, r) => sum + (r[key].cpuUsPerRequest ?? 0), 0) / rounds.length,
      ]),
    );
    const rps = Object.fromEntries(Object.keys(rounds[0]).map((key) => [key, pooled(key)]));
    return {
      routes: ROUTES,
      connections: plan.guardConnections,
      secondsPerRun: plan.guardSeconds,
      loadAverageBefore,
      loadAverageAfter: os.loadavg()[0],
      rounds,
      rps,
      // Mean server CPU per request (µs): Express/Fastify on the protected route is the
      // throughput ratio an otherwise idle machine would show.
      cpuUs,
      // The bars, judged on the median of the rounds' ratios, as scenario (a) is.
      fastifyOverExpressProtected: median(
        rounds.map((r) => r.fastify_protected.rps / r.express_protected.rps),
      ),
      fastifyProtectedOverConstant: median(
        rounds.map((r) => r.fastify_protected.rps / r.fastify_constant.rps),
      ),
      expressProtectedOverConstant: median(
        rounds.map((r) => r.express_protected.rps / r.express_constant.rps),
      ),
      profileDirs: cpuProf ? dirs.map((dir) => join(dir, 'profile')) : undefined,
    };
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    if (!cpuProf) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { platformComparison };
