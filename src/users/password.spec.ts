import { MINIMUM_ARGON2_PARAMETERS, PasswordHasher, readArgon2Parameters } from './password-hasher';
import { COMMON_PASSWORD_COUNT, PasswordPolicy } from './password-policy';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(MINIMUM_ARGON2_PARAMETERS);

  it('hashes with argon2id at m=19456 KiB, t=2, p=1, read back from the stored hash', async () => {
    const stored = await hasher.hash('a long enough passphrase');
    expect(readArgon2Parameters(stored)).toEqual({
      algorithm: 'argon2id',
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
  });

  it('verifies exactly as sent: no trimming, no case folding, no truncation', async () => {
    const password = `${'x'.repeat(200)} Tail`;
    const stored = await hasher.hash(password);
    expect((await hasher.verify(stored, password)).valid).toBe(true);
    expect((await hasher.verify(stored, `${password} `)).valid).toBe(false);
    expect((await hasher.verify(stored, password.toUpperCase())).valid).toBe(false);
    expect((await hasher.verify(stored, password.slice(0, 72))).valid).toBe(false);
  });

  it('reports that a hash with weaker parameters needs rehashing, only after a valid verify', async () => {
    const weak = await new PasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 }).hash(
      'old password here',
    );
    expect(await hasher.verify(weak, 'old password here')).toEqual({
      valid: true,
      needsRehash: true,
    });
    expect(await hasher.verify(weak, 'wrong')).toEqual({ valid: false, needsRehash: false });
    const current = await hasher.hash('old password here');
    expect(await hasher.verify(current, 'old password here')).toEqual({
      valid: true,
      needsRehash: false,
    });
    const stronger = new PasswordHasher({ memoryCost: 32768, timeCost: 3, parallelism: 1 });
    expect(stronger.needsRehash(current)).toBe(true);
  });

  it('never authenticates against a malformed stored hash', async () => {
    expect(await hasher.verify('not-a-hash', 'anything')).toEqual({
      valid: false,
      needsRehash: false,
    });
  });
});

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy();

  it('ships at least 10,000 common passwords', () => {
    expect(COMMON_PASSWORD_COUNT).toBeGreaterThanOrEqual(10_000);
  });

  it('accepts a long, uncommon password', () => {
    expect(policy.violations('violet-harbour-tractor-91', 'alice')).toEqual([]);
  });

  it('counts length in code points (12..1024)', () => {
    expect(policy.violations('short-pass1', 'alice')).toContain(
      'password must be at least 12 characters',
    );
    // 12 emoji are 24 UTF-16 units but 12 code points: long enough.
    expect(policy.violations('🔒'.repeat(12), 'alice')).toEqual([]);
    expect(policy.violations('🔒'.repeat(11), 'alice')).toContain(
      'password must be at least 12 characters',
    );
    expect(policy.violations('x'.repeat(1025), 'alice')).toContain(
      'password must be at most 1024 characters',
    );
  });

  it('refuses common passwords case-insensitively', () => {
    expect(policy.violations('qwertyuiop123', 'alice')).toContain('password is too common');
    expect(policy.violations('QWERTYUIOP123', 'alice')).toContain('password is too common');
  });

  it('refuses the username itself after normalisation', () => {
    expect(policy.violations('Alexander.Hamilton', 'alexander.hamilton')).toContain(
      'password must not equal the username',
    );
    expect(policy.violations('ＡＬＥＸＡＮＤＥＲ.hamilton', 'alexander.hamilton')).toContain(
      'password must not equal the username',
    );
  });
});

describe('PasswordHasher concurrency', () => {
  it('runs at most maxConcurrent hashes at once and still answers every call', async () => {
    const hasher = new PasswordHasher(
      { memoryCost: 8192, timeCost: 1, parallelism: 1 },
      {
        maxConcurrent: 2,
      },
    );
    const stored = await hasher.hash('a password that is long enough');
    const internals = hasher as unknown as { running: number; waiting: number };
    const calls = Array.from({ length: 6 }, (_, index) =>
      hasher.verify(stored, index % 2 ? 'wrong' : 'a password that is long enough'),
    );
    expect(internals.running).toBe(2);
    expect(internals.waiting).toBe(4);
    const results = await Promise.all(calls);
    expect(results.map((result) => result.valid)).toEqual([true, false, true, false, true, false]);
    expect(internals.running).toBe(0);
    expect(internals.waiting).toBe(0);
  });
});
