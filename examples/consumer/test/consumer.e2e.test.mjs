// The example app, built (`npm run build`), as its users run it: `node dist/main.js` (or the
// same app on Fastify: EXAMPLE_MAIN=dist/main.fastify.js, `npm run test:fastify`) and
// `node dist/cli.js`, against the Gatehouse tarball installed in node_modules.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-consumer-'));
const ADMIN_PASSWORD = 'consumer-admin-password-42x';
const env = {
  ...process.env,
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  JWT_SECRET: randomBytes(48).toString('base64url'),
  AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
  ADMIN_PASSWORD,
};
let server;
let base;

async function freePort() {
  const probe = createServer();
  await new Promise((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address();
  await new Promise((done) => probe.close(done));
  return port;
}

async function waitUntilUp(url) {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (server.exitCode !== null) throw new Error(`the app exited with ${server.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('the app did not start within 30 s');
}

/** Cookies from Set-Cookie, as a Cookie header, and the CSRF token. */
async function login(username, password) {
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const pairs = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]);
  const csrf = pairs.find((pair) => pair.startsWith('csrf_token='))?.split('=')[1] ?? '';
  return { status: response.status, cookie: pairs.join('; '), csrf };
}

function call(method, path, session, body) {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrf } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

function cli(...args) {
  return run(process.execPath, [join(root, 'dist/cli.js'), ...args], { cwd: root, env });
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [join(root, process.env.EXAMPLE_MAIN ?? 'dist/main.js')], {
    cwd: root,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitUntilUp(`${base}/reports/status`);
});

after(() => {
  server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

test('has exactly one copy of @nestjs/core', async () => {
  // npm ls exits 1 on any peer-range complaint in the tree (gatehouse's
  // @nest-lab/throttler-storage-redis still declares @nestjs/* ^11 peers); what matters here is
  // how many copies of @nestjs/core are installed, which --parseable lists one per line.
  const listed = await run('npm', ['ls', '@nestjs/core', '--all', '--parseable'], {
    cwd: root,
  }).catch((error) => error);
  const paths = listed.stdout.split('\n').filter((line) => line.endsWith('/@nestjs/core'));
  assert.deepEqual([...new Set(paths)], [join(root, 'node_modules/@nestjs/core')], listed.stderr);
});

test('logs in against the app’s own user store', async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  assert.equal(admin.status, 200);
  const me = await call('GET', '/auth/me', admin);
  assert.equal(me.status, 200);
  assert.deepEqual((await me.json()).roles, ['admin']);
  assert.equal((await login('admin', 'not-the-password-at-all')).status, 401);
});

test('guards the app’s routes: public, signed in (401/200), auditor role (403/200)', async () => {
  assert.equal((await call('GET', '/reports/status')).status, 200);
  const anonymous = await call('GET', '/reports/mine');
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).code, 'TOKEN_MISSING');
  assert.equal((await call('GET', '/reports/audit')).status, 401);

  const admin = await login('admin', ADMIN_PASSWORD);
  for (const [username, roles] of [
    ['uma', ['user']],
    ['ada', ['auditor']],
  ]) {
    const created = await call('POST', '/users', admin, {
      username,
      password: `${username}-long-enough-password-1`,
      roles,
    });
    assert.equal(created.status, 201, await created.text());
  }
  const user = await login('uma', 'uma-long-enough-password-1');
  const auditor = await login('ada', 'ada-long-enough-password-1');
  assert.equal((await call('GET', '/reports/mine', user)).status, 200);
  assert.deepEqual(await (await call('GET', '/reports/mine', user)).json(), { username: 'uma' });
  const forbidden = await call('GET', '/reports/audit', user);
  assert.equal(forbidden.status, 403);
  assert.equal((await forbidden.json()).code, 'FORBIDDEN');
  assert.equal((await call('GET', '/reports/audit', auditor)).status, 200);

  // A role the app does not declare is refused in API.md's shape.
  const unknown = await call('POST', '/users', admin, {
    username: 'otto',
    password: 'otto-long-enough-password-1',
    roles: ['owner'],
  });
  assert.equal(unknown.status, 400);
  assert.deepEqual(await unknown.json(), {
    statusCode: 400,
    code: 'VALIDATION_FAILED',
    message: 'Validation failed',
    errors: ['each value in roles must be one of the following values: admin, user, auditor'],
  });
});

test('records the real client IP and method in the audit event', async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  const response = await call('GET', '/audit/events?type=authn_login_success&limit=5', admin);
  assert.equal(response.status, 200);
  const [latest] = (await response.json()).items;
  assert.equal(latest.ip, '127.0.0.1');
  assert.equal(latest.method, 'POST');
  assert.equal(latest.path, '/auth/login');
});

test('finds the app’s detector in POST /audit/reviews', async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  const response = await call('POST', '/audit/reviews', admin, { dryRun: true });
  assert.equal(response.status, 201);
  const finding = (await response.json()).findings.find((f) => f.rule === 'privileged-login');
  assert.equal(finding?.subject, 'admin');
});

test('finds the app’s detector in its CLI: audit:review and audit:review --file', async () => {
  const database = JSON.parse((await cli('audit:review', '--dry-run', '--json')).stdout);
  assert.ok(database.findings.some((f) => f.rule === 'privileged-login'));
  const files = JSON.parse(
    (await cli('audit:review', '--file', join(dataDir, 'audit'), '--json')).stdout,
  );
  assert.ok(files.eventsReviewed > 0);
  assert.ok(files.findings.some((f) => f.rule === 'privileged-login'));
});

test('refuses every admin route to an anonymous request', async () => {
  const routes = [
    ['GET', '/users'],
    ['POST', '/users'],
    ['PATCH', '/users/x'],
    ['POST', '/users/x/unlock'],
    ['GET', '/audit/events'],
    ['GET', '/audit/stats'],
    ['GET', '/audit/reviews'],
    ['GET', '/audit/reviews/x'],
    ['POST', '/audit/reviews'],
    ['GET', '/audit/blocks'],
    ['DELETE', '/audit/blocks/x'],
    ['GET', '/audit/integrity'],
  ];
  for (const [method, path] of routes) {
    const response = await call(method, path);
    assert.equal(response.status, 401, `${method} ${path}`);
  }
});
