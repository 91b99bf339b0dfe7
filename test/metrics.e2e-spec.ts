import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  HTTP_ADAPTERS,
  TestApp,
} from './support/app';

const TOKEN = 'metrics-scrape-token-5d1f0c';

/** One sample's value from Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(HTTP_ADAPTERS)('/metrics (issue 7) on %s', (adapter) => {
  describe('off by default', () => {
    let testApp: TestApp;
    beforeAll(async () => (testApp = await createTestApp({}, adapter)));
    afterAll(() => testApp.close());

    it('answers 404 as if the route did not exist, even with a token', async () => {
      const response = await testApp.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
      expect(response.status).toBe(404);
      expect(response.text).not.toContain('nodejs_');
    });
  });

  describe('enabled with a token (clients not on the allow list)', () => {
    let testApp: TestApp;
    beforeAll(
      async () =>
        (testApp = await createTestApp(
          {
            METRICS_ENABLED: 'true',
            METRICS_TOKEN: TOKEN,
            // The test client is 127.0.0.1, so this list does not include it.
            METRICS_ALLOW_IPS: '10.99.0.0/16',
            RATE_LIMIT_PER_MINUTE: '3',
          },
          adapter,
        )),
    );
    afterAll(() => testApp.close());

    it('refuses a scrape without the token or with a wrong one: 403 FORBIDDEN', async () => {
      const missing = await testApp.http.get('/metrics');
      expect(missing.status).toBe(403);
      expect(missing.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
      const wrong = await testApp.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}-not`);
      expect(wrong.status).toBe(403);
      const notBearer = await testApp.http.get('/metrics').set('Authorization', TOKEN);
      expect(notBearer.status).toBe(403);
      expect(missing.text).not.toContain('nodejs_');
    });

    it('exposes the named series after logins, in Prometheus text, outside the rate limit', async () => {
      const good = await testApp.login(ADMIN_USERNAME, ADMIN_PASSWORD);
      expect(good.status).toBe(200);
      const bad = await testApp.login(ADMIN_USERNAME, `${ADMIN_PASSWORD}-wrong`);
      expect(bad.status).toBe(401);
      const refusedToken = await testApp.http
        .get('/auth/me')
        .set('Cookie', 'access_token=not.a.jwt');
      expect(refusedToken.status).toBe(401);

      // RATE_LIMIT_PER_MINUTE is 3 and the three requests above used it up; scrapes still pass.
      let text = '';
      for (let scrape = 0; scrape < 4; scrape += 1) {
        const response = await testApp.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        text = response.text;
      }

      expect(sample(text, 'gatehouse_login_attempts_total{outcome="success",reason="none"}')).toBe(
        1,
      );
      expect(
        sample(text, 'gatehouse_login_attempts_total{outcome="failure",reason="bad_password"}'),
      ).toBe(1);
      expect(
        sample(text, 'gatehouse_token_verification_failures_total{code="TOKEN_INVALID"}'),
      ).toBe(1);
      // Every committed event was timed, the two logins' among them.
      const writes = sample(text, 'gatehouse_audit_write_duration_seconds_count') ?? 0;
      const events = text
        .split('\n')
        .filter((line) => line.startsWith('gatehouse_audit_events_total{'))
        .reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(writes).toBe(events);
      for (const series of [
        'gatehouse_login_throttle_hits_total',
        'gatehouse_lockouts_total',
        'gatehouse_audit_write_duration_seconds',
        'gatehouse_review_runs_total',
        'gatehouse_review_duration_seconds',
        'gatehouse_review_findings_total',
        'nodejs_eventloop_lag_p99_seconds',
        'process_resident_memory_bytes',
      ]) {
        expect(text).toContain(`# TYPE ${series} `);
      }
    });
  });

  describe('enabled with an allow list that includes the client', () => {
    let testApp: TestApp;
    beforeAll(
      async () =>
        (testApp = await createTestApp(
          {
            METRICS_ENABLED: 'true',
            METRICS_ALLOW_IPS: '127.0.0.1,::1',
          },
          adapter,
        )),
    );
    afterAll(() => testApp.close());

    it('serves a listed IP without a token', async () => {
      const response = await testApp.http.get('/metrics');
      expect(response.status).toBe(200);
      expect(response.text).toContain('nodejs_eventloop_lag_seconds');
    });
  });
});
