import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  HTTP_ADAPTERS,
  LoginResult,
  TestApp,
} from './support/app';
import { ROOT } from './support/process';

/**
 * `GET /audit/stats` over HTTP, and the console's files at `/` (API.md "The web console").
 * The console part needs `dist/web` (npm run build, which `npm test` runs first).
 */
jest.setTimeout(60_000);

describe.each(HTTP_ADAPTERS)('GET /audit/stats and the web console (e2e) on %s', (adapter) => {
  let t: TestApp;
  let admin: LoginResult;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'web', 'index.html'))) {
      throw new Error('dist/web is missing: run npm run build first');
    }
    t = await createTestApp({ LOGIN_PAIR_MAX_FAILURES: '3' }, adapter);
    admin = await t.login(ADMIN_USERNAME, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  const stats = (query: string, cookies = admin.cookies) =>
    t.http.get(`/audit/stats${query}`).set('Cookie', cookies);

  it('answers the last 7 days in hours, counting success, failure and refusals of this app', async () => {
    await t.createUser('dora', 'dora-Pa55-word-long-1');
    for (let i = 0; i < 3; i++) {
      expect(
        (await t.http.post('/auth/login').send({ username: 'dora', password: 'nope' })).status,
      ).toBe(401);
    }
    // The pair is locked now: refused, not checked.
    expect(
      (await t.http.post('/auth/login').send({ username: 'dora', password: 'nope' })).status,
    ).toBe(429);
    const response = await stats('');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.body as {
      from: string;
      to: string;
      bucket: string;
      series: {
        start: string;
        success: number;
        failure: number;
        refused: number;
        findings: number;
      }[];
      topFailingIps: { ip: string; failures: number }[];
      topFailingUsernames: { username: string; failures: number }[];
    };
    expect(body.bucket).toBe('1h');
    expect(Date.parse(body.to) - Date.parse(body.from)).toBeGreaterThanOrEqual(7 * 24 * 3600_000);
    expect(body.series.length).toBeGreaterThanOrEqual(168);
    expect(body.series.length).toBeLessThanOrEqual(169);
    const sum = (key: 'success' | 'failure' | 'refused') =>
      body.series.reduce((total, point) => total + point[key], 0);
    expect({ success: sum('success'), failure: sum('failure'), refused: sum('refused') }).toEqual({
      success: 1,
      failure: 3,
      refused: 1,
    });
    expect(body.topFailingUsernames).toEqual([{ username: 'dora', failures: 3 }]);
    expect(body.topFailingIps).toHaveLength(1);
    expect(body.topFailingIps[0].failures).toBe(3);
  });

  it('takes a window and daily buckets', async () => {
    const response = await stats('?from=2026-01-01T00:00:00Z&to=2026-01-08T00:00:00Z&bucket=1d');
    expect(response.status).toBe(200);
    const series = (response.body as { series: { start: string }[] }).series;
    expect(series.map((point) => point.start)).toEqual(
      Array.from({ length: 7 }, (_, day) => `2026-01-0${day + 1}T00:00:00.000Z`),
    );
  });

  it.each([
    ['?bucket=5m'],
    ['?from=yesterday'],
    ['?from=2026-01-01'.concat('T00:00:00Z&to=2026-01-01T00:00:00Z')],
    ['?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&bucket=1h'],
    ['?to=2026-13-01T00:00:00Z'],
    ['?extra=1'],
  ])('answers 400 VALIDATION_FAILED for %s', async (query) => {
    const response = await stats(query);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('is for admins only', async () => {
    await t.createUser('eve', 'eve-Pa55-word-long-22');
    const eve = await t.login('eve', 'eve-Pa55-word-long-22');
    expect((await stats('', eve.cookies)).status).toBe(403);
    expect((await t.http.get('/audit/stats')).status).toBe(401);
  });

  it('serves index.html with no-store at / and at console routes, under the API CSP', async () => {
    for (const path of ['/', '/login', '/admin/users', '/admin/reviews/some-id', '/account']) {
      const response = await t.http.get(path);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      expect(response.text).toContain('<div id="app">');
      expect(response.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
  });

  it('serves fingerprinted assets for a year, gzip-compressed when asked', async () => {
    const index = (await t.http.get('/')).text;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)![1];
    const response = await t.http.get(script).set('Accept-Encoding', 'gzip');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const missing = await t.http.get('/assets/index-AAAAAAAA.js');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
  });

  it('keeps the API answers and its JSON 404 for API paths and unknown paths', async () => {
    for (const path of ['/auth/nope', '/users/a/b/c', '/audit/nope', '/health/nope', '/nope']) {
      const response = await t.http.get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'Not found' });
    }
    expect((await t.http.get('/health')).body.status).toBe('ok');
    expect((await t.http.get('/auth/me')).body.code).toBe('TOKEN_MISSING');
    expect((await t.http.get('/audit/blocks').set('Cookie', admin.cookies)).status).toBe(200);
    expect((await t.http.get('/docs-json')).status).toBe(200);
  });
});

describe.each(HTTP_ADAPTERS)(
  'the console under the general rate limit and WEB_ENABLED (e2e) on %s',
  (adapter) => {
    it('counts console files in the per-IP limit', async () => {
      const t = await createTestApp({ RATE_LIMIT_PER_MINUTE: '3' }, adapter);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await t.http.get('/login')).status);
        expect(statuses).toEqual([200, 200, 200, 429]);
      } finally {
        await t.close();
      }
    });

    it('serves no console with WEB_ENABLED=false', async () => {
      const t = await createTestApp({ WEB_ENABLED: 'false' }, adapter);
      try {
        const response = await t.http.get('/');
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      } finally {
        await t.close();
      }
    });
  },
);
