'use strict';
/**
 * (g) Login flood (DESIGN.md: "Under a flood of 300 concurrent logins of unknown users, a user
 * logging in from a known IP is answered within 1.5 s, and the flood never makes the service
 * answer 5xx other than 503 LOGIN_BUSY").
 *
 * Its own server with the default login limits and hash queue; every client has its own IP
 * (TRUST_PROXY=loopback + X-Forwarded-For), as a botnet would, so the per-IP block does not
 * shape the figures. The known user logs in once before the flood (its pair becomes known),
 * then again while the 300 unknown-user logins are in flight; that second login is timed.
 * Run alone: `node bench/run.js --skip-build --only=g`.
 */
const { rmSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const u = require('./lib/util');

const ADMIN = { username: 'flood-admin', password: 'Flood-admin-password-5c1d9e' };
const KNOWN = { username: 'flood-known', password: 'Quiet-harbour-lantern-73' };
const KNOWN_IP = '10.250.0.1';
const FLOOD = 300;

async function post(url, path, body, headers = {}) {
  const started = performance.now();
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let code;
  try {
    code = JSON.parse(text).code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code, ms: performance.now() - started, response };
}

async function loginFlood(args) {
  const dir = u.workDir('flood');
  const env = u.isolatedEnv(dir, {
    TRUST_PROXY: 'loopback',
    RATE_LIMIT_PER_MINUTE: '1000000',
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    ...args.serverEnv,
  });
  const server = await u.startServer(env);
  try {
    const admin = await post(server.url, '/auth/login', ADMIN);
    if (admin.status !== 200) throw new Error(`admin login answered ${admin.status}`);
    const cookies = admin.response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]);
    const csrf = cookies.find((cookie) => cookie.startsWith('csrf_token=')).split('=')[1];
    const created = await post(
      server.url,
      '/users',
      { ...KNOWN, roles: ['user'] },
      { cookie: cookies.join('; '), 'x-csrf-token': csrf },
    );
    if (created.status !== 201) throw new Error(`creating the user answered ${created.status}`);
    const first = await post(server.url, '/auth/login', KNOWN, { 'x-forwarded-for': KNOWN_IP });
    if (first.status !== 200) throw new Error(`the known user's first login: ${first.status}`);
    const idle = await post(server.url, '/auth/login', KNOWN, { 'x-forwarded-for': KNOWN_IP });

    const flood = Array.from({ length: FLOOD }, (_, index) =>
      post(
        server.url,
        '/auth/login',
        { username: `flood-nobody-${index}`, password: `guess-${index}-xxxxxxxx` },
        { 'x-forwarded-for': `10.9.${Math.floor(index / 250)}.${(index % 250) + 1}` },
      ).catch((error) => ({ status: 0, code: String(error.cause?.code ?? error), ms: 0 })),
    );
    // Let the flood reach the server first, so the known login arrives in the middle of it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const known = await post(server.url, '/auth/login', KNOWN, { 'x-forwarded-for': KNOWN_IP });
    const answers = await Promise.all(flood);

    const byAnswer = {};
    for (const answer of answers) {
      const key = `${answer.status}${answer.code ? ` ${answer.code}` : ''}`;
      byAnswer[key] = (byAnswer[key] ?? 0) + 1;
    }
    const other5xx = answers.filter(
      (answer) => answer.status === 0 || (answer.status >= 500 && answer.code !== 'LOGIN_BUSY'),
    ).length;
    const floodMs = answers.map((answer) => answer.ms).sort((a, b) => a - b);
    return {
      flood: FLOOD,
      knownIdleMs: u.round(idle.ms, 1),
      knownStatus: known.status,
      knownMs: u.round(known.ms, 1),
      floodAnswers: byAnswer,
      floodP50Ms: u.round(u.percentile(floodMs, 50), 1),
      floodMaxMs: u.round(floodMs[floodMs.length - 1], 1),
      other5xx,
      pass: known.status === 200 && known.ms < 1500 && other5xx === 0,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { loginFlood };
