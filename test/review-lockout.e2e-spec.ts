import { ADMIN_PASSWORD, ADMIN_USERNAME, createTestApp, LoginResult, TestApp } from './support/app';
import { EventScript, storeReviewEvents } from './support/review-events';
import type { ReviewRunView } from '../src/audit/review/review.view';

/*
 * Issue 10, item 6: an attacker must not lock a victim out, or end the victim's sessions,
 * through the nightly review. Real logins from several client IPs (X-Forwarded-For behind a
 * trusted loopback proxy), then a real review over HTTP.
 */

jest.setTimeout(60_000);

const PASSWORD = 'a long and unusual passphrase 77';
const WRONG = 'not the password at all';
const KNOWN_IP = '192.0.2.50';

describe('the review cannot be used to lock a victim out (e2e)', () => {
  let t: TestApp;
  let admin: LoginResult;

  const login = (username: string, password: string, ip: string) =>
    t.http.post('/auth/login').set('X-Forwarded-For', ip).send({ username, password });
  /** A browser of the victim: logged in from its usual IP. */
  const signIn = async (username: string): Promise<string[]> => {
    const response = await login(username, PASSWORD, KNOWN_IP);
    expect(response.status).toBe(200);
    const setCookie = response.headers['set-cookie'] as unknown as string[];
    return setCookie.map((header) => header.split(';')[0]).filter((pair) => !pair.endsWith('='));
  };
  const me = (cookies: string[]) => t.http.get('/auth/me').set('Cookie', cookies);
  const review = async (body: object): Promise<ReviewRunView> => {
    const response = await t.http
      .post('/audit/reviews')
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf)
      .send(body);
    expect(response.status).toBe(201);
    return response.body as ReviewRunView;
  };
  const since = () => new Date(Date.now() - 1).toISOString();

  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: 'loopback' });
    admin = await t.login(ADMIN_USERNAME, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await t.close();
  });

  it('(a) 10 IPs with one wrong password each, then a review: no lock, no revocation', async () => {
    const from = since();
    await t.createUser('victim-a', PASSWORD);
    const cookies = await signIn('victim-a');
    for (let i = 0; i < 10; i += 1)
      expect((await login('victim-a', WRONG, `198.18.10.${i}`)).status).toBe(401);
    const run = await review({ from });
    expect(run.findings.filter((f) => f.subject === 'victim-a')).toEqual([]);
    expect(run.measures).toEqual([]);
    expect((await me(cookies)).status).toBe(200);
    expect((await login('victim-a', PASSWORD, '198.51.100.7')).status).toBe(200);
  });

  it('(b) a distributed attack over the minimum locks the account for unknown IPs only', async () => {
    const from = since();
    await t.createUser('victim-b', PASSWORD);
    const cookies = await signIn('victim-b');
    // 25 wrong passwords from 15 IPs: over both REVIEW_DISTRIBUTED_IPS and _FAILURES.
    const script = new EventScript(new Date(Date.now() - 60_000).toISOString());
    for (let i = 0; i < 25; i += 1)
      script.fail('victim-b', `198.18.11.${i % 15}`, 'bad_password', 1);
    await storeReviewEvents(t.db, script.events);
    const run = await review({ from: new Date(Date.parse(from) - 120_000).toISOString() });
    const finding = run.findings.find((f) => f.subject === 'victim-b');
    expect(finding).toMatchObject({ rule: 'distributed-attack', evidence: { failures: 25 } });
    const lock = run.measures.find((m) => m.target === 'victim-b');
    expect(lock).toMatchObject({ kind: 'lock_account', result: 'applied' });
    expect(lock?.sessionsRevoked).toBeUndefined();

    // The owner, from the IP it logged in from: 200. Anyone else: 429 with the lock's Retry-After.
    expect((await login('victim-b', PASSWORD, KNOWN_IP)).status).toBe(200);
    const stranger = await login('victim-b', PASSWORD, '198.51.100.99');
    expect(stranger.status).toBe(429);
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(3500);
    expect((await me(cookies)).status).toBe(200);
  });

  it('(c) five attacker failures before the owner’s own login from its known IP revoke nothing', async () => {
    const from = since();
    await t.createUser('victim-c', PASSWORD);
    const cookies = await signIn('victim-c');
    for (let i = 0; i < 5; i += 1)
      expect((await login('victim-c', WRONG, '203.0.113.66')).status).toBe(401);
    expect((await login('victim-c', PASSWORD, KNOWN_IP)).status).toBe(200);
    const run = await review({ from });
    expect(run.findings.filter((f) => f.rule === 'success-after-failures')).toEqual([]);
    expect(run.measures.filter((m) => m.target === 'victim-c')).toEqual([]);
    expect((await me(cookies)).status).toBe(200);
  });

  it('(d) attempts refused with 429 are not evidence: no brute-force finding, no block', async () => {
    const from = since();
    await t.createUser('victim-d', PASSWORD);
    // Five checked failures lock the pair; the next 25 are refused before any password check.
    for (let i = 0; i < 5; i += 1)
      expect((await login('victim-d', WRONG, '203.0.113.67')).status).toBe(401);
    for (let i = 0; i < 25; i += 1)
      expect((await login('victim-d', WRONG, '203.0.113.67')).status).toBe(429);
    const run = await review({ from });
    expect(run.counts.byType.authn_login_fail).toBeGreaterThanOrEqual(25);
    expect(run.findings.filter((f) => f.subject === 'victim-d')).toEqual([]);
    expect(run.measures).toEqual([]);
  });
});
