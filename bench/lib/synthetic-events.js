'use strict';
/**
 * Synthetic audit traffic for the review benchmarks: a day of ordinary logins, refreshes and
 * logouts by `events / 50` users (about 50 events each, whatever the size, so the work per
 * event stays the same from 250k to 1M), with a handful of real attacks planted in it.
 * Deterministic (seeded), so every run and both reviews (database and file) see the same day.
 */

const DAY_MS = 24 * 3600 * 1000;
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const USER_ID = '5b2f7c1e-4a9d-4e6b-9f3a-7d1c2e8b0a64';

/** The findings the review must produce: rule and subject (undefined: any subject). */
const EXPECTED_FINDINGS = [
  { rule: 'brute-force', subject: 'bf-victim' },
  { rule: 'password-spraying', subject: '203.0.113.20' },
  { rule: 'credential-stuffing' },
  { rule: 'distributed-attack', subject: 'dist-victim' },
  { rule: 'success-after-failures', subject: 'saf-victim' },
  { rule: 'username-enumeration', subject: '203.0.113.40' },
  { rule: 'refresh-token-reuse', subject: 'reuse-victim' },
  { rule: 'lockout-burst' },
  { rule: 'new-ip-success', subject: 'newip-victim' },
];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function homeIp(user) {
  return `10.${(user >> 16) & 255}.${(user >> 8) & 255}.${user & 255}`;
}

function loginEvent(time, type, outcome, username, ip, reason) {
  return { time, type, outcome, username, ip, reason, method: 'POST', path: '/auth/login' };
}

/** The planted attacks, at fixed fractions of the day. */
function plantedEvents(start) {
  const at = (fraction, offsetMs = 0) => start + Math.floor(fraction * DAY_MS) + offsetMs;
  const events = [];
  const fail = (time, username, ip, reason = 'bad_password') =>
    events.push(loginEvent(time, 'authn_login_fail', 'failure', username, ip, reason));
  const succeed = (time, username, ip) =>
    events.push(loginEvent(time, 'authn_login_success', 'success', username, ip));

  // The victims are real users: each logs in from home first.
  for (const [index, name] of [
    'bf-victim',
    'dist-victim',
    'saf-victim',
    'reuse-victim',
    'newip-victim',
  ].entries()) {
    for (let i = 0; i < 5; i += 1)
      succeed(at(0.02 + index * 0.01, i * 60_000), name, `10.250.0.${index + 1}`);
  }
  // Brute force: 60 guesses at one account from one IP in 30 minutes.
  for (let i = 0; i < 60; i += 1) fail(at(0.1, i * 30_000), 'bf-victim', '203.0.113.10');
  // Password spraying: one IP, one guess at each of 40 existing accounts.
  for (let i = 0; i < 40; i += 1) fail(at(0.2, i * 20_000), `user${i + 1}`, '203.0.113.20');
  // Credential stuffing: 30 IPs, each trying 3 different accounts, slowly.
  for (let ip = 0; ip < 30; ip += 1) {
    for (let k = 0; k < 3; k += 1)
      fail(at(0.3, (ip * 3 + k) * 45_000), `user${1000 + ip * 3 + k}`, `198.51.100.${ip + 1}`);
  }
  // Distributed attack: 25 IPs, 2 guesses each, at one account.
  for (let ip = 0; ip < 25; ip += 1) {
    for (let k = 0; k < 2; k += 1)
      fail(at(0.4, (ip * 2 + k) * 30_000), 'dist-victim', `192.0.2.${ip + 1}`);
  }
  // Success after failures: 8 wrong guesses, then the right one, from the same IP.
  for (let i = 0; i < 8; i += 1) fail(at(0.5, i * 10_000), 'saf-victim', '203.0.113.30');
  succeed(at(0.5, 90_000), 'saf-victim', '203.0.113.30');
  // Enumeration: 50 names that do not exist, from one IP.
  for (let i = 0; i < 50; i += 1)
    fail(at(0.6, i * 5_000), `ghost-${i + 1}`, '203.0.113.40', 'unknown_user');
  // Refresh-token reuse.
  events.push({
    time: at(0.7),
    type: 'authn_token_reuse',
    outcome: 'failure',
    username: 'reuse-victim',
    ip: '203.0.113.50',
    method: 'POST',
    path: '/auth/refresh',
  });
  // Lockout burst: 8 accounts locked out within 4 minutes.
  for (let i = 0; i < 8; i += 1) {
    events.push(
      loginEvent(
        at(0.8, i * 30_000),
        'authn_login_fail_max',
        'failure',
        `burst-${i + 1}`,
        '203.0.113.60',
        'bad_password',
      ),
    );
  }
  // New IP: a user with a history logs in from an IP never seen for it.
  succeed(at(0.9), 'newip-victim', '203.0.113.70');
  return events.sort((a, b) => a.time - b.time);
}

/** One background event. */
function backgroundEvent(random, time, users) {
  const user = 1 + Math.floor(random() * users);
  const username = `user${user}`;
  const ip = homeIp(user);
  const roll = random();
  if (roll < 0.55) return loginEvent(time, 'authn_login_success', 'success', username, ip);
  if (roll < 0.58)
    return loginEvent(time, 'authn_login_fail', 'failure', username, ip, 'bad_password');
  if (roll < 0.585)
    return loginEvent(time, 'authn_login_fail', 'failure', `${username}x`, ip, 'unknown_user');
  if (roll < 0.59)
    return {
      time,
      type: 'input_validation_fail',
      outcome: 'failure',
      ip,
      reason: 'invalid_input',
      method: 'POST',
      path: '/auth/login',
    };
  if (roll < 0.89)
    return {
      time,
      type: 'authn_token_refreshed',
      outcome: 'success',
      username,
      ip,
      method: 'POST',
      path: '/auth/refresh',
    };
  if (roll < 0.97)
    return {
      time,
      type: 'session_logout',
      outcome: 'success',
      username,
      ip,
      method: 'POST',
      path: '/auth/logout',
    };
  return {
    time,
    type: 'authz_fail',
    outcome: 'failure',
    username,
    ip,
    method: 'GET',
    path: '/audit/events',
  };
}

/**
 * Yields `total` events (planted ones included) in time order, with ids 1..total, as audit
 * events in the key order of API.md.
 */
function* syntheticEvents(total, { end = Date.now() - 10 * 60_000, seed = 7 } = {}) {
  const start = end - DAY_MS;
  const random = mulberry32(seed);
  const planted = plantedEvents(start);
  // BENCH_USERS fixes the number of users (to separate per-event from per-user costs).
  const users = Number(process.env.BENCH_USERS) || Math.max(1000, Math.floor(total / 50));
  const background = total - planted.length;
  const step = DAY_MS / background;
  let next = 0;
  let id = 0;
  const finish = (event) => {
    id += 1;
    const failure = event.outcome === 'failure';
    return {
      id,
      ts: new Date(event.time).toISOString(),
      type: event.type,
      level: event.type === 'authn_token_reuse' ? 'CRITICAL' : failure ? 'WARN' : 'INFO',
      outcome: event.outcome,
      username: event.username,
      userId: event.username !== undefined && event.reason !== 'unknown_user' ? USER_ID : undefined,
      reason: event.reason,
      ip: event.ip,
      userAgent: USER_AGENT,
      requestId: `req${id.toString(36).padStart(10, '0')}`,
      method: event.method,
      path: event.path,
    };
  };
  for (let i = 0; i < background; i += 1) {
    const time = start + Math.floor(i * step);
    while (next < planted.length && planted[next].time <= time) yield finish(planted[next++]);
    yield finish(backgroundEvent(random, time, users));
  }
  while (next < planted.length) yield finish(planted[next++]);
}

/** Which expected findings are missing from `findings` ({ rule, subject }). */
function missingFindings(findings) {
  return EXPECTED_FINDINGS.filter(
    (expected) =>
      !findings.some(
        (finding) =>
          finding.rule === expected.rule &&
          (expected.subject === undefined || finding.subject === expected.subject),
      ),
  );
}

module.exports = { syntheticEvents, EXPECTED_FINDINGS, missingFindings };
