import {
  Argon2Engine,
  Argon2Parameters,
  HashQueueFullError,
  PasswordHasher,
  readArgon2Parameters,
} from './password-hasher';

const CURRENT: Argon2Parameters = { memoryCost: 65536, timeCost: 3, parallelism: 1 };
const OLD: Argon2Parameters = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

const phc = (parameters: Argon2Parameters, tag = 'x') =>
  `$argon2id$v=19$m=${parameters.memoryCost},t=${parameters.timeCost},p=${parameters.parallelism}$c2FsdA$${tag}`;

/** An engine that does no real work but records what each check would cost (KiB × passes). */
function countingEngine() {
  const verifiedCosts: number[] = [];
  const engine: Argon2Engine = {
    hash: (_password, parameters) => Promise.resolve(phc(parameters, 'made')),
    verify: (storedHash) => {
      const parameters = readArgon2Parameters(storedHash)!;
      verifiedCosts.push(parameters.memoryCost * parameters.timeCost);
      return Promise.resolve(storedHash.endsWith('$right'));
    },
  };
  return { engine, verifiedCosts };
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('PasswordHasher timing padding (API.md timing rule, issue 10 item 5)', () => {
  const currentCost = CURRENT.memoryCost * CURRENT.timeCost;

  it('spends the cost of a current check on a stored hash made with weaker parameters', async () => {
    const { engine, verifiedCosts } = countingEngine();
    const hasher = new PasswordHasher(CURRENT, { engine, maxConcurrent: 1 });
    const result = await hasher.verify(phc(OLD, 'right'), 'pw');
    expect(result).toEqual({ valid: true, needsRehash: true });
    expect(verifiedCosts).toHaveLength(2); // the real check, then the padding
    expect(sum(verifiedCosts) / currentCost).toBeGreaterThan(0.98);
    expect(sum(verifiedCosts) / currentCost).toBeLessThan(1.02);
    // A wrong password costs the same.
    verifiedCosts.length = 0;
    expect((await hasher.verify(phc(OLD, 'wrong'), 'pw')).valid).toBe(false);
    expect(sum(verifiedCosts) / currentCost).toBeGreaterThan(0.98);
  });

  it('costs an unknown user (dummy hash), a current hash and a weak one the same work', async () => {
    const { engine, verifiedCosts } = countingEngine();
    const hasher = new PasswordHasher(CURRENT, { engine, maxConcurrent: 1 });
    const costOf = async (check: () => Promise<unknown>) => {
      verifiedCosts.length = 0;
      await check();
      return sum(verifiedCosts);
    };
    const unknown = await costOf(() => hasher.verifyDummy('pw'));
    const current = await costOf(() => hasher.verify(phc(CURRENT, 'wrong'), 'pw'));
    const weak = await costOf(() =>
      hasher.verify(phc({ memoryCost: 19456, timeCost: 5, parallelism: 1 }, 'wrong'), 'pw'),
    );
    expect(unknown).toBe(currentCost);
    expect(current).toBe(currentCost);
    expect(Math.abs(weak - currentCost) / currentCost).toBeLessThan(0.02);
  });

  it('pads nothing for a hash as strong as the current parameters or stronger', async () => {
    const { engine, verifiedCosts } = countingEngine();
    const hasher = new PasswordHasher(OLD, { engine, maxConcurrent: 1 });
    await hasher.verify(phc(CURRENT, 'wrong'), 'pw');
    expect(verifiedCosts).toEqual([CURRENT.memoryCost * CURRENT.timeCost]);
  });
});

/** An engine whose checks wait until the test lets them finish, one at a time. */
function gatedEngine() {
  const started: { password: string; finish: () => void }[] = [];
  const engine: Argon2Engine = {
    hash: (_password, parameters) => Promise.resolve(phc(parameters)),
    verify: (_storedHash, password) =>
      new Promise<boolean>((resolve) => {
        started.push({ password, finish: () => resolve(false) });
      }),
  };
  return { engine, started };
}

/** Lets queued promise callbacks run (no wall-clock wait). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PasswordHasher bounded queue (API.md "Under a flood, known users go first")', () => {
  const stored = phc(OLD);

  it('sheds a new unknown check when the queue is full, and serves known checks first', async () => {
    const { engine, started } = gatedEngine();
    const hasher = new PasswordHasher(OLD, { engine, maxConcurrent: 1, queueSize: 2 });
    const running = hasher.verify(stored, 'u1', 'unknown');
    const waitingA = hasher.verify(stored, 'u2', 'unknown');
    const waitingB = hasher.verify(stored, 'u3', 'unknown');
    await settle();
    expect(hasher.waiting).toBe(2);
    await expect(hasher.verify(stored, 'u4', 'unknown')).rejects.toBeInstanceOf(HashQueueFullError);

    // A known pair arriving at a full queue takes the place of the newest unknown one.
    const known = hasher.verify(stored, 'k1', 'known');
    await expect(waitingB).rejects.toBeInstanceOf(HashQueueFullError);
    expect(hasher.waiting).toBe(2);

    started[0].finish();
    await running;
    await settle();
    expect(started.map((check) => check.password)).toEqual(['u1', 'k1']);
    started[1].finish();
    await known;
    await settle();
    started[2].finish();
    await waitingA;
    expect(started.map((check) => check.password)).toEqual(['u1', 'k1', 'u2']);
    expect(hasher.waiting).toBe(0);
  });

  it('sheds a new known check only when known checks alone fill the queue', async () => {
    const { engine, started } = gatedEngine();
    const hasher = new PasswordHasher(OLD, { engine, maxConcurrent: 1, queueSize: 1 });
    const running = hasher.verify(stored, 'k0', 'known');
    const waiting = hasher.verify(stored, 'k1', 'known');
    await settle();
    await expect(hasher.verify(stored, 'k2', 'known')).rejects.toBeInstanceOf(HashQueueFullError);
    await expect(hasher.verify(stored, 'u1', 'unknown')).rejects.toBeInstanceOf(HashQueueFullError);
    started[0].finish();
    await running;
    await settle();
    started[1].finish();
    await waiting;
  });

  it('never sheds a new hash (user creation, password change, rehash)', async () => {
    const { engine, started } = gatedEngine();
    const hasher = new PasswordHasher(OLD, { engine, maxConcurrent: 1, queueSize: 1 });
    const running = hasher.verify(stored, 'k0', 'known');
    const waiting = hasher.verify(stored, 'k1', 'known');
    await settle();
    const made = hasher.hash('new password'); // waits past the queue's bound, not refused
    expect(hasher.waiting).toBe(2);
    started[0].finish();
    await running;
    await settle();
    started[1].finish();
    await waiting;
    await expect(made).resolves.toContain('$argon2id$');
  });
});
