import Sqlite from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isolatedEnv, ServerProcess, startServer } from './support/process';

/**
 * API.md: never in an event or any log line a password (including one typed into the username
 * field of a request that failed validation), a token or any part of one, a cookie value or a
 * secret. Every value below is unique, so finding it anywhere means it leaked.
 */
const canary = (label: string): string => `cnry-${label}-${randomBytes(9).toString('base64url')}`;
const CANARY = {
  adminPassword: canary('admin-pw'),
  newPassword: canary('new-pw'),
  wrongPassword: canary('wrong-pw'),
  unknownUserPassword: canary('unknown-pw'),
  passwordInUsernameEmptyPassword: canary('pw-in-username-1'),
  passwordInUsernameNumberPassword: canary('pw-in-username-2'),
  passwordInUsernameMissingPassword: canary('pw-in-username-3'),
  passwordInUsernameExtraField: canary('pw-in-username-4'),
  passwordInUsernameTooLongPassword: canary('pw-in-username-5'),
  malformedJsonPassword: canary('malformed-pw'),
  oversizedBodyPassword: canary('oversized-pw'),
  textBodyPassword: canary('text-pw'),
  wrongCurrentPassword: canary('wrong-current-pw'),
  // Fresh random keys of 48 bytes, as `openssl rand -base64 48` makes them.
  jwtSecret: randomBytes(48).toString('base64'),
  sealKey: randomBytes(48).toString('base64'),
};

interface Cookies {
  access: string;
  refresh: string;
  csrf: string;
}

function readCookies(response: Response): Cookies {
  const values = new Map<string, string>();
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const index = pair.indexOf('=');
    values.set(pair.slice(0, index), decodeURIComponent(pair.slice(index + 1)));
  }
  const get = (name: string): string => {
    const value = values.get(name);
    if (!value) throw new Error(`no ${name} cookie in ${JSON.stringify([...values.keys()])}`);
    return value;
  };
  return { access: get('access_token'), refresh: get('refresh_token'), csrf: get('csrf_token') };
}

function cookieHeader(cookies: Cookies): string {
  return `access_token=${cookies.access}; refresh_token=${cookies.refresh}; csrf_token=${cookies.csrf}`;
}

/** Every file under a folder, as text (gzipped files unzipped). */
function filesUnder(dir: string): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  const found: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      found.push(...filesUnder(path));
      continue;
    }
    const bytes = readFileSync(path);
    found.push({
      path,
      text: (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('latin1'),
    });
  }
  return found;
}

describe('canary secrets never reach a log line, an audit file or an audit row', () => {
  let server: ServerProcess | undefined;
  let instanceDir: string | undefined;

  afterEach(async () => {
    await server?.stop('SIGKILL');
    if (instanceDir) rmSync(instanceDir, { recursive: true, force: true });
  });

  it('after logins, refreshes, failures, malformed requests, a password change and a logout', async () => {
    const env = isolatedEnv({
      BOOTSTRAP_ADMIN_USERNAME: 'carol',
      BOOTSTRAP_ADMIN_PASSWORD: CANARY.adminPassword,
      JWT_SECRET: CANARY.jwtSecret,
      AUDIT_SEAL_KEY: CANARY.sealKey,
      // A replayed refresh token is a reuse at once (401, session revoked, audited).
      REFRESH_REUSE_GRACE: '0',
      // As chatty as the application logger gets.
      LOG_LEVEL: 'verbose',
      LOG_FORMAT: 'json',
    });
    instanceDir = dirname(env.DATA_DIR);
    const running = await startServer(env);
    server = running;
    const url = running.url;
    const json = { 'content-type': 'application/json' };
    const login = (body: unknown): Promise<Response> =>
      fetch(`${url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const statuses: Record<string, number> = {};

    // A good login, then use of every cookie it set.
    const signedIn = await login({ username: 'carol', password: CANARY.adminPassword });
    statuses.login = signedIn.status;
    const first = readCookies(signedIn);
    const authed = (cookies: Cookies, extra: Record<string, string> = {}) => ({
      cookie: cookieHeader(cookies),
      'x-csrf-token': cookies.csrf,
      ...extra,
    });
    statuses.me = (await fetch(`${url}/auth/me`, { headers: authed(first) })).status;
    statuses.events = (
      await fetch(`${url}/audit/events?limit=5`, { headers: authed(first) })
    ).status;
    const refreshed = await fetch(`${url}/auth/refresh`, {
      method: 'POST',
      headers: authed(first),
    });
    statuses.refresh = refreshed.status;
    const second = readCookies(refreshed);

    // Failures of every kind, each carrying a canary where a password might be.
    statuses.wrong = (await login({ username: 'carol', password: CANARY.wrongPassword })).status;
    statuses.unknown = (
      await login({ username: 'nobody-here', password: CANARY.unknownUserPassword })
    ).status;
    statuses.emptyPassword = (
      await login({ username: CANARY.passwordInUsernameEmptyPassword, password: '' })
    ).status;
    statuses.numberPassword = (
      await login({ username: CANARY.passwordInUsernameNumberPassword, password: 42 })
    ).status;
    statuses.missingPassword = (
      await login({ username: CANARY.passwordInUsernameMissingPassword })
    ).status;
    statuses.extraField = (
      await login({ username: CANARY.passwordInUsernameExtraField, password: 'x', remember: true })
    ).status;
    statuses.tooLongPassword = (
      await login({
        username: CANARY.passwordInUsernameTooLongPassword,
        password: 'p'.repeat(1025),
      })
    ).status;
    statuses.malformed = (
      await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: json,
        body: `{"username":"carol","password":"${CANARY.malformedJsonPassword}"`,
      })
    ).status;
    statuses.oversized = (
      await login({
        username: 'carol',
        password: CANARY.oversizedBodyPassword,
        pad: 'x'.repeat(20 * 1024),
      })
    ).status;
    statuses.text = (
      await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `username=carol&password=${CANARY.textBodyPassword}`,
      })
    ).status;
    statuses.wrongCurrent = (
      await fetch(`${url}/auth/password`, {
        method: 'POST',
        headers: { ...authed(second), ...json },
        body: JSON.stringify({
          currentPassword: CANARY.wrongCurrentPassword,
          newPassword: CANARY.newPassword,
        }),
      })
    ).status;
    statuses.changed = (
      await fetch(`${url}/auth/password`, {
        method: 'POST',
        headers: { ...authed(second), ...json },
        body: JSON.stringify({
          currentPassword: CANARY.adminPassword,
          newPassword: CANARY.newPassword,
        }),
      })
    ).status;
    // A tampered token and a replayed, revoked one are refused, and not logged either.
    const tampered = `${first.access.slice(0, -4)}AAAA`;
    statuses.tampered = (
      await fetch(`${url}/auth/me`, { headers: { cookie: `access_token=${tampered}` } })
    ).status;
    statuses.replayedRefresh = (
      await fetch(`${url}/auth/refresh`, { method: 'POST', headers: authed(first) })
    ).status;
    const again = await login({ username: 'carol', password: CANARY.newPassword });
    statuses.loginAgain = again.status;
    const third = readCookies(again);
    statuses.logout = (
      await fetch(`${url}/auth/logout`, { method: 'POST', headers: authed(third) })
    ).status;

    expect(statuses).toEqual({
      login: 200,
      me: 200,
      events: 200,
      refresh: 200,
      wrong: 401,
      unknown: 401,
      emptyPassword: 400,
      numberPassword: 400,
      missingPassword: 400,
      extraField: 400,
      tooLongPassword: 400,
      malformed: 400,
      oversized: 413,
      text: 415,
      wrongCurrent: 401,
      changed: 204,
      tampered: 401,
      replayedRefresh: 401,
      loginAgain: 200,
      logout: 204,
    });

    // SIGTERM: shutdown hooks flush the audit file and checkpoint the database.
    await running.stop('SIGTERM');
    server = undefined;

    const databaseFile = env.DATABASE_URL.slice('sqlite:'.length);
    const db = new Sqlite(databaseFile, { readonly: true });
    const rows = db.prepare('select * from audit_events order by id').all() as Record<
      string,
      unknown
    >[];
    db.close();

    const haystacks = [
      { path: 'server stdout and stderr', text: running.output() },
      { path: 'audit_events rows', text: JSON.stringify(rows) },
      ...filesUnder(env.AUDIT_LOG_DIR).map((file) => ({ path: file.path, text: file.text })),
      // The whole database, not only the audit table: no raw secret belongs anywhere in it.
      ...filesUnder(env.DATA_DIR)
        .filter((file) => /gatehouse\.db/.test(file.path))
        .map((file) => ({ path: file.path, text: file.text })),
    ];

    // The haystacks are the right ones: they hold what is meant to be there.
    const loginStatuses = [
      'login',
      'wrong',
      'unknown',
      'emptyPassword',
      'numberPassword',
      'missingPassword',
    ];
    loginStatuses.push(
      'extraField',
      'tooLongPassword',
      'malformed',
      'oversized',
      'text',
      'loginAgain',
    );
    expect(rows.filter((row) => row.path === '/auth/login')).toHaveLength(loginStatuses.length);
    expect(rows.map((row) => row.type)).toEqual(
      expect.arrayContaining([
        'authn_token_refreshed',
        'authn_token_reuse',
        'authn_password_change',
        'session_logout',
      ]),
    );
    expect(haystacks[0].text.length).toBeGreaterThan(0);
    const auditFiles = haystacks.filter((haystack) =>
      /audit-\d{4}-\d{2}-\d{2}\.jsonl/.test(haystack.path),
    );
    expect(auditFiles).toHaveLength(1);
    expect(auditFiles[0].text.trim().split('\n')).toHaveLength(rows.length);
    expect(auditFiles[0].text).toContain('"username":"carol"');

    const needles: Record<string, string> = { ...CANARY };
    for (const [label, cookies] of [
      ['first', first],
      ['refreshed', second],
      ['third', third],
    ] as const) {
      const [, payload, signature] = cookies.access.split('.');
      needles[`${label} access token`] = cookies.access;
      // The header segment is the same public constant in every token; the rest is secret.
      needles[`${label} access token payload`] = payload;
      needles[`${label} access token signature`] = signature;
      needles[`${label} refresh cookie`] = cookies.refresh;
      needles[`${label} csrf cookie`] = cookies.csrf;
    }
    needles['tampered access token'] = tampered;

    const leaks: string[] = [];
    for (const [label, needle] of Object.entries(needles)) {
      expect(needle.length).toBeGreaterThanOrEqual(16);
      for (const haystack of haystacks) {
        if (haystack.text.includes(needle)) leaks.push(`${label} in ${haystack.path}`);
      }
    }
    expect(leaks).toEqual([]);

    // The requests whose username field may hold a password recorded no username at all.
    const refusedLogins = rows.filter(
      (row) => row.path === '/auth/login' && row.type === 'input_validation_fail',
    );
    expect(refusedLogins).toHaveLength(8);
    expect(refusedLogins.every((row) => row.username === null)).toBe(true);
  }, 60_000);
});
