import { Algorithm, hash, verify } from '@node-rs/argon2';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

export interface Argon2Parameters {
  /** KiB of memory per hash. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet minimum for argon2id (ASVS 5.0 V11.4.2). */
export const MINIMUM_ARGON2_PARAMETERS: Argon2Parameters = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export interface VerifyResult {
  valid: boolean;
  /** The stored hash is weaker than the current parameters: rehash after a successful login. */
  needsRehash: boolean;
}

/** Reads `m`, `t`, `p` back from a PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$…`. */
export function readArgon2Parameters(phc: string): (Argon2Parameters & { algorithm: string }) | undefined {
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
 * argon2id through @node-rs/argon2's async API, which hashes on libuv's thread pool and keeps
 * the event loop free (its `hashSync` would block it for about 200 ms here).
 */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly parameters: Argon2Parameters = MINIMUM_ARGON2_PARAMETERS) {}

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: Algorithm.Argon2id, ...this.parameters });
  }

  async verify(storedHash: string, password: string): Promise<VerifyResult> {
    let valid: boolean;
    try {
      valid = await verify(storedHash, password);
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

  /**
   * Spends the same work as a real verify, for unknown users, so that timing does not tell
   * which usernames exist (API.md login rules).
   */
  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    await this.verify(await this.dummyHash, password);
  }
}
