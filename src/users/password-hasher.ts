import { Algorithm, hash, verify } from '@node-rs/argon2';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';

export interface Argon2Parameters {
  /** KiB of memory per hash. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet minimum for argon2id (ASVS 5.0 V11.4.2). */
export const MINIMUM_ARGON2_PARAMETERS: Argon2Parameters = {
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

export interface VerifyResult {
  valid: boolean;
  /** The stored hash is weaker than the current parameters: rehash after a successful login. */
  needsRehash: boolean;
}

/** Reads `m`, `t`, `p` back from a PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$…`. */
export function readArgon2Parameters(
  phc: string,
): (Argon2Parameters & { algorithm: string }) | undefined {
  const match = /^\$(argon2(?:id|i|d))\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  if (!match) return undefined;
  return {
    algorithm: match[1],
    memoryCost: Number(match[2]),
    timeCost: Number(match[3]),
    parallelism: Number(match[4]),
  };
}

/**
 * Hashes run at once: one core fewer than the machine has, so that however many logins
 * arrive together, hashing threads never take every core from the event loop. Measured with
 * `npm run bench` on 2 CPUs (docs/benchmarks.md): with libuv's 4 threads all hashing, the loop's
 * p99 delay under 50 concurrent logins was ~290 ms; with 1 it was ~30 ms, and logins/s rose
 * (argon2 is memory-bound, so parallel hashes slow each other down).
 */
export function defaultHashConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * argon2id through @node-rs/argon2's async API, which hashes on libuv's thread pool and keeps
 * the event loop free (its `hashSync` would block it for about 200 ms here). At most
 * `maxConcurrent` hashes run at once; the others wait their turn without blocking anything.
 */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly parameters: Argon2Parameters = MINIMUM_ARGON2_PARAMETERS,
    private readonly maxConcurrent = defaultHashConcurrency(),
  ) {}

  hash(password: string): Promise<string> {
    return this.limited(() =>
      hash(password, { algorithm: Algorithm.Argon2id, ...this.parameters }),
    );
  }

  async verify(storedHash: string, password: string): Promise<VerifyResult> {
    let valid: boolean;
    try {
      valid = await this.limited(() => verify(storedHash, password));
    } catch {
      // A malformed stored hash never authenticates anyone.
      valid = false;
    }
    return { valid, needsRehash: valid && this.needsRehash(storedHash) };
  }

  needsRehash(storedHash: string): boolean {
    const stored = readArgon2Parameters(storedHash);
    if (!stored || stored.algorithm !== 'argon2id') return true;
    return (
      stored.memoryCost < this.parameters.memoryCost ||
      stored.timeCost < this.parameters.timeCost ||
      stored.parallelism < this.parameters.parallelism
    );
  }

  /** Runs `work` when a slot is free; a finished hash hands its slot to the next in line. */
  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.maxConcurrent) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  /**
   * Spends the same work as a real verify, for unknown users, so that timing does not tell
   * which usernames exist (API.md login rules).
   */
  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    await this.verify(await this.dummyHash, password);
  }
}
