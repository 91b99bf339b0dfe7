/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { isolatedEnv, ROOT, ServerProcess, startServer } from '../support/process';

/**
 * The console in a real Chromium (Debian's, at /usr/bin/chromium), against the real built
 * server on a fresh SQLite database. Steps share one server and build on each other in order.
 */

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The committed pictures are refreshed on request (UPDATE_SCREENSHOTS=1 npm test), so a plain
// test run never leaves the working tree dirty; otherwise they go to a temporary folder.
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'gatehouse-shots-'));
const ADMIN = { username: 'admin', password: 'console-admin-Pa55-word-x7' };
const ALICE = { username: 'alice', password: 'alice-first-Pa55-word-k2' };
const ALICE_NEW_PASSWORD = 'alice-second-Pa55-word-m9';
const JWT_SECRET = randomBytes(48).toString('base64url');

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Console errors and page errors of every page, checked at the end. */
const problems: string[] = [];
/** Pages axe-core checked, by name. */
const checked = new Set<string>();

async function newPage(width = 1440): Promise<Page> {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width, height: 900 },
  });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // Chromium logs every 4xx answer of fetch; the API's refusals are expected answers here.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    problems.push(`${page.url()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  return page;
}

/** axe-core finds no serious or critical violation, and a screenshot goes to docs/screenshots. */
async function checkPage(page: Page, name: string): Promise<void> {
  await page.locator('main h1').waitFor();
  await page.waitForFunction(() => document.querySelector('[role="status"].loading') === null);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
  expect(serious.map((violation) => `${name}: ${violation.id} ${violation.help}`)).toEqual([]);
  checked.add(name);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, user: { username: string; password: string }): Promise<void> {
  if (!page.url().includes('/login')) await page.goto('/login');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** Failed logins sent straight to the API (not through the browser), from 127.0.0.1 too. */
async function failLogins(username: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: `wrong-password-${i}` }),
    });
    expect(response.status).toBe(401);
  }
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'web', 'index.html'))) {
    throw new Error('dist/web is missing: run npm run build first');
  }
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer(
    isolatedEnv({
      BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      JWT_SECRET,
      AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
      RATE_LIMIT_PER_MINUTE: '100000',
      LOGIN_PAIR_MAX_FAILURES: '8',
      REVIEW_BRUTE_FORCE_FAILURES: '6',
      REVIEW_ENABLED: 'false',
    }),
    // Generous: beside other suites on two cores the start alone can take tens of seconds.
    90_000,
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox'],
    timeout: 90_000,
  });
}, 200_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('the web console in Chromium', () => {
  let admin: Page;

  it('refuses a wrong password, then signs in and returns to the page asked for', async () => {
    admin = await newPage();
    await admin.goto('/admin');
    await admin.waitForURL('**/login?next=%2Fadmin');
    await admin.getByLabel('Username').fill(ADMIN.username);
    await admin.getByLabel('Password').fill('not-the-password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await expect(admin.getByRole('alert').textContent()).resolves.toContain(
      'Wrong username or password.',
    );
    await checkPage(admin, 'sign-in');
    await signIn(admin, ADMIN);
    expect(new URL(admin.url()).pathname).toBe('/admin');
    await admin.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('lets an admin create a user and find its user_created event by filter', async () => {
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByLabel('Username').fill(ALICE.username);
    await admin.getByLabel('Password').fill(ALICE.password);
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.getByText(`User ${ALICE.username} created.`).waitFor();
    await admin
      .getByTestId('users')
      .getByRole('cell', { name: ALICE.username, exact: true })
      .waitFor();
    await checkPage(admin, 'admin-users');

    await admin.getByRole('link', { name: 'Audit events' }).click();
    await admin.getByLabel('Type').selectOption('user_created');
    await admin.getByLabel('Username').fill(ALICE.username);
    const answer = admin.waitForResponse((response) =>
      response.url().includes('/audit/events?type=user_created'),
    );
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    expect((await answer).status()).toBe(200);
    const events = admin.getByTestId('events').locator('li');
    // The unfiltered list is on the page until the filtered answer renders: wait for that.
    await admin
      .waitForFunction(
        () => document.querySelectorAll('[data-testid="events"] li').length === 1,
        undefined,
        { timeout: 10_000 },
      )
      .catch(() => undefined);
    expect(await events.count()).toBe(1);
    await expect(events.first().textContent()).resolves.toContain('user_created');
    await events.first().locator('summary').click();
    await checkPage(admin, 'admin-events');
  });

  it('runs a dry-run review that finds a planted brute force, drawn as a bar in the chart', async () => {
    await failLogins(ALICE.username, 6);
    await admin.getByRole('link', { name: 'Reviews' }).click();
    await admin.getByRole('heading', { name: 'Reviews' }).waitFor();
    await expect(admin.getByLabel(/Dry run/).isChecked()).resolves.toBe(true);
    await admin.getByRole('button', { name: 'Review now' }).click();
    await admin.waitForURL('**/admin/reviews/*');
    const finding = admin.getByTestId('finding').filter({ hasText: 'brute-force' });
    await finding.first().waitFor();
    await expect(finding.first().textContent()).resolves.toContain(ALICE.username);
    await expect(admin.getByTestId('run-status').textContent()).resolves.toContain('dry run');
    await checkPage(admin, 'admin-review-run');

    await admin.getByRole('link', { name: 'All reviews' }).click();
    await admin.getByTestId('runs').waitFor();
    await checkPage(admin, 'admin-reviews');

    await admin.getByRole('link', { name: 'Overview' }).click();
    await admin.getByTestId('findings-chart').locator('canvas').waitFor();
    await expect(admin.getByTestId('total-findings').textContent()).resolves.toBe('1');
    await expect(admin.getByTestId('total-failure').textContent()).resolves.toBe('7');
    await expect(admin.getByTestId('top-usernames').textContent()).resolves.toContain(
      ALICE.username,
    );
    // The bar itself: pixels of the findings colour on the findings chart's canvas.
    const barPixels = await admin
      .getByTestId('findings-chart')
      .locator('canvas')
      .evaluate((canvas: HTMLCanvasElement) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i] === 0x6a && data[i + 1] === 0x1b && data[i + 2] === 0x9a) count++;
        }
        return count;
      });
    expect(barPixels).toBeGreaterThan(20);
    await checkPage(admin, 'admin-overview');
  });

  it('shows blocks and the seal chain status', async () => {
    await admin.getByRole('link', { name: 'Blocks' }).click();
    await admin.getByText('No block is in force.').waitFor();
    await checkPage(admin, 'admin-blocks');
    await admin.getByRole('link', { name: 'Integrity' }).click();
    await admin.getByTestId('integrity-status').waitFor();
    await checkPage(admin, 'admin-integrity');
  });

  let aliceA: Page;
  let aliceB: Page;

  it('never shows admin pages to a non-admin', async () => {
    aliceA = await newPage(360);
    await signIn(aliceA, ALICE);
    await aliceA.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await aliceA.getByRole('navigation').getByRole('link').allTextContents()).toEqual([
      'Account',
    ]);
    await aliceA.goto('/admin/users');
    await aliceA.getByRole('heading', { name: 'Page not found' }).waitFor();
    await aliceA.goto('/admin');
    await aliceA.getByRole('heading', { name: 'Page not found' }).waitFor();
  });

  it('lists sessions and ends another one, which signs that browser out on its next call', async () => {
    aliceB = await newPage();
    await signIn(aliceB, ALICE);
    await aliceB.getByRole('heading', { name: 'Your account' }).waitFor();

    await aliceA.goto('/account');
    const rows = aliceA.getByTestId('sessions').locator('tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    await expect(rows.filter({ hasText: 'this device' }).count()).resolves.toBe(1);
    await checkPage(aliceA, 'account-360');
    await rows
      .filter({ hasNotText: 'this device' })
      .getByRole('button', { name: 'End session' })
      .click();
    await aliceA.getByText('Session ended.').waitFor();
    // The message shows when the DELETE answers; the list reloads after it.
    await rows.nth(1).waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(1);

    await aliceB.getByRole('link', { name: 'Account' }).click();
    await aliceB.waitForURL('**/login?next=*');
    await aliceB.getByText(/Your session was ended/).waitFor();
  });

  it('changes the password, showing the policy feedback first', async () => {
    await aliceA.getByLabel('Current password').fill(ALICE.password);
    await aliceA.getByLabel('New password', { exact: true }).fill('password1234');
    await aliceA.getByLabel('New password again').fill('password1234');
    await aliceA.getByRole('button', { name: 'Change password' }).click();
    await aliceA.getByText('That password does not meet the password policy.').waitFor();
    await aliceA.getByLabel('Current password').fill(ALICE.password);
    await aliceA.getByLabel('New password', { exact: true }).fill(ALICE_NEW_PASSWORD);
    await aliceA.getByLabel('New password again').fill(ALICE_NEW_PASSWORD);
    await aliceA.getByRole('button', { name: 'Change password' }).click();
    await aliceA.getByText('Password changed.', { exact: false }).waitFor();
  });

  it('refreshes an expired access token once and retries the call', async () => {
    const context = aliceA.context();
    const cookies = await context.cookies();
    const access = cookies.find((cookie) => cookie.name === 'access_token')!;
    const claims = jwt.decode(access.value, { complete: true })!;
    const payload = claims.payload as jwt.JwtPayload;
    const now = Math.floor(Date.now() / 1000);
    const expired = jwt.sign({ ...payload, iat: now - 120, exp: now - 60 }, JWT_SECRET, {
      algorithm: 'HS256',
      header: claims.header,
    });
    await context.addCookies([{ ...access, value: expired }]);

    const refreshed = aliceA.waitForResponse((response) =>
      response.url().endsWith('/auth/refresh'),
    );
    await aliceA.reload();
    expect((await refreshed).status()).toBe(200);
    await aliceA.getByTestId('sessions').waitFor();
    expect(new URL(aliceA.url()).pathname).toBe('/account');
  });

  it('counts down while a locked pair waits', async () => {
    await failLogins('mallory', 8);
    const page = await newPage(360);
    await page.goto('/login');
    await page.getByLabel('Username').fill('mallory');
    await page.getByLabel('Password').fill('one-more-guess');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const countdown = page.getByTestId('countdown');
    await countdown.waitFor();
    const first = Number(await countdown.textContent());
    expect(first).toBeGreaterThan(1);
    await expect(page.getByRole('button', { name: 'Sign in' }).isDisabled()).resolves.toBe(true);
    await page.waitForFunction(
      (start) => Number(document.querySelector('[data-testid="countdown"]')?.textContent) < start,
      first,
    );
    await checkPage(page, 'sign-in-locked');
  });

  it('answers an unknown console route with a not-found page and a way home', async () => {
    await admin.goto('/admin/no/such/page');
    await admin.getByRole('heading', { name: 'Page not found' }).waitFor();
    await checkPage(admin, 'not-found');
    await admin.getByRole('link', { name: 'Go to the start page' }).click();
    await admin.getByRole('heading', { name: 'Your account' }).waitFor();
    await checkPage(admin, 'account');
  });

  it('logged no console error and no CSP violation on any page', () => {
    expect(checked.size).toBeGreaterThanOrEqual(11);
    expect(problems).toEqual([]);
  });
});
