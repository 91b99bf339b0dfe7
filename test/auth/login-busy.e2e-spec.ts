import { NODE_ARGON2_ENGINE, PasswordHasher } from '../../src/users';
import { createTestApp, HTTP_ADAPTERS, TestApp } from '../support/app';

/*
 * API.md "Under a flood, known users go first": password checks wait in a bounded queue; when it
 * is full a new attempt gets 503 LOGIN_BUSY with Retry-After, audited with reason `busy`,
 * counting as no failure; a known (username, IP) pair is served first and never shed while an
 * unknown one waits. The queue is filled deterministically: argon2 checks are held at a gate.
 */

const PASSWORD = 'amber-lantern-quarry-58';
const KNOWN_IP = '198.51.100.44';

describe.each(HTTP_ADAPTERS)('bounded hash queue over HTTP on %s', (adapter) => {
  let t: TestApp;
  let hasher: PasswordHasher;
  const held: { password: string; release: () => void }[] = [];
  let verifySpy: jest.SpyInstance;

  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: 'loopback', LOGIN_HASH_QUEUE_SIZE: '2' }, adapter);
    hasher = t.app.get(PasswordHasher);
    await t.createUser('kim', PASSWORD);
    // The pair (kim, KNOWN_IP) has logged in before: it is a known pair.
    const first = await login('kim', PASSWORD, KNOWN_IP);
    expect(first.status).toBe(200);
    const realVerify = NODE_ARGON2_ENGINE.verify.bind(NODE_ARGON2_ENGINE);
    verifySpy = jest
      .spyOn(NODE_ARGON2_ENGINE, 'verify')
      .mockImplementation(
        (storedHash, password) =>
          new Promise<boolean>((resolve) =>
            held.push({ password, release: () => resolve(realVerify(storedHash, password)) }),
          ),
      );
  });

  afterAll(async () => {
    verifySpy?.mockRestore();
    await t?.close();
  });

  /** Sent at once (a supertest request only starts when awaited or `then`ed). */
  function login(username: string, password: string, ip: string) {
    return t.http
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ username, password })
      .then((response) => ({
        status: response.status,
        body: response.body as Record<string, unknown>,
        retryAfter: response.headers['retry-after'],
      }));
  }

  /** Waits (without a clock) until the hasher's queue and gate reach a state. */
  async function until(condition: () => boolean): Promise<void> {
    for (let turn = 0; !condition(); turn++) {
      if (turn > 1_000_000) throw new Error('the hash queue never reached the expected state');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('sheds unknown attempts with 503 LOGIN_BUSY when full, and serves the known pair first', async () => {
    // One check running (held at the gate), two waiting: the queue (size 2) is full.
    const running = login('nobody-1', 'whatever-1', '203.0.113.101');
    await until(() => held.length === 1);
    const waitingA = login('nobody-2', 'whatever-2', '203.0.113.102');
    await until(() => hasher.waiting === 1);
    const waitingB = login('nobody-3', 'whatever-3', '203.0.113.103');
    await until(() => hasher.waiting === 2);

    const shed = await login('nobody-4', 'whatever-4', '203.0.113.104');
    expect(shed.status).toBe(503);
    expect(shed.body).toEqual({
      statusCode: 503,
      code: 'LOGIN_BUSY',
      message: 'Too many logins in progress, retry later',
    });
    expect(Number(shed.retryAfter)).toBeGreaterThan(0);

    // The known pair arrives at a full queue: the newest unknown attempt is shed instead.
    const known = login('kim', PASSWORD, KNOWN_IP);
    const displaced = await waitingB;
    expect(displaced.status).toBe(503);
    expect(displaced.body.code).toBe('LOGIN_BUSY');

    held[0].release();
    expect((await running).status).toBe(401);
    // Next at the gate is the known pair's check, ahead of the unknown one that waited longer.
    await until(() => held.length === 2);
    expect(held[1].password).toBe(PASSWORD);
    held[1].release();
    expect((await known).status).toBe(200);
    await until(() => held.length === 3);
    held[2].release();
    expect((await waitingA).status).toBe(401);

    // Audited as what the client got, with reason busy; no failure counted for them.
    const busy = await t.db
      .selectFrom('audit_events')
      .select(['type', 'outcome', 'reason', 'username', 'ip'])
      .where('reason', '=', 'busy')
      .orderBy('id')
      .execute();
    expect(busy).toEqual([
      {
        type: 'authn_login_fail',
        outcome: 'failure',
        reason: 'busy',
        username: 'nobody-4',
        ip: '203.0.113.104',
      },
      {
        type: 'authn_login_fail',
        outcome: 'failure',
        reason: 'busy',
        username: 'nobody-3',
        ip: '203.0.113.103',
      },
    ]);
    const counters = await t.db
      .selectFrom('login_throttle')
      .select(['key', 'failures'])
      .where('key', 'in', ['ip:203.0.113.103', 'ip:203.0.113.104', 'ip:203.0.113.101'])
      .orderBy('key')
      .execute();
    const failuresOf = (key: string) =>
      Number(counters.find((row) => row.key === key)?.failures ?? 0);
    // The checked attempt counted; the shed ones (before or after their reservation) did not.
    expect(failuresOf('ip:203.0.113.101')).toBe(1);
    expect(failuresOf('ip:203.0.113.103')).toBe(0);
    expect(failuresOf('ip:203.0.113.104')).toBe(0);
  });
});
