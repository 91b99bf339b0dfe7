import { Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
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

/** The argon2 calls, injectable so that specs can gate or count the work. */
export interface Argon2Engine {
  hash(password: string, parameters: Argon2Parameters): Promise<string>;
  verify(storedHash: string, password: string): Promise<boolean>;
}

export const NODE_ARGON2_ENGINE: Argon2Engine = {
  hash: (password, parameters) =>
    argon2Hash(password, { algorithm: Algorithm.Argon2id, ...parameters }),
  verify: (storedHash, password) => argon2Verify(storedHash, password),
};

/**
 * Default of `LOGIN_HASH_QUEUE_SIZE`: room for the 50 concurrent logins of the design's load bar
 * (32 shed most of them: a shed attempt answers at once and its client comes straight back), and
 * still only about 4 s of waiting at ~60 ms per check on one thread.
 */
export const DEFAULT_HASH_QUEUE_SIZE = 64;

export interface PasswordHasherOptions {
  /** Hashes run at once (default: `defaultHashConcurrency()`). */
  maxConcurrent?: number;
  /** Login checks that may wait for a free slot; beyond it a check is shed (LOGIN_BUSY). */
  queueSize?: number;
  engine?: Argon2Engine;
}

/**
 * Who is asking for a password check, for the bounded queue (API.md "Under a flood, known users
 * go first"): `known` is a (username, IP) pair that has logged in before, `unknown` any other
 * login. Known checks are served first; when the queue is full a new unknown check is shed, and
 * a new known check sheds the most recent unknown one waiting instead (never the other way).
 */
export type HashPriority = 'known' | 'unknown';

/** The hash queue is full: the login is answered `503 LOGIN_BUSY` and counts as no failure. */
export class HashQueueFullError extends Error {
  constructor() {
    super('The password hashing queue is full');
    this.name = 'HashQueueFullError';
  }
}

interface Waiter {
  start: () => void;
  shed: (error: Error) => void;
}

/** Cost of an argon2 check in KiB-passes: its time grows with memory × passes. */
function costOf(parameters: Argon2Parameters): number {
  return parameters.memoryCost * parameters.timeCost;
}

/**
 * Parameters of a padding hash whose check costs `cost` KiB-passes, with no more memory than
 * the configured hash (more passes instead). Undefined when the difference is negligible.
 */
export function paddingParameters(
  cost: number,
  current: Argon2Parameters,
): Argon2Parameters | undefined {
  // Below 1/20 of the current cost the difference is lost in the noise of one check.
  if (cost < costOf(current) / 20) return undefined;
  const timeCost = Math.max(1, Math.ceil(cost / current.memoryCost));
  const memoryCost = Math.max(8 * current.parallelism, Math.round(cost / timeCost));
  return { memoryCost, timeCost, parallelism: current.parallelism };
}

/**
 * argon2id through @node-rs/argon2's async API, which hashes on libuv's thread pool and keeps
 * the event loop free (its `hashSync` would block it for about 200 ms here). At most
 * `maxConcurrent` hashes run at once; the others wait their turn without blocking anything, in
 * a bounded queue where known pairs go first (see HashPriority).
 */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  /** Padding hashes by cost, made once each (see `verify`). */
  private readonly paddingHashes = new Map<string, Promise<string>>();
  private running = 0;
  private readonly known: Waiter[] = [];
  private readonly unknown: Waiter[] = [];
  private readonly maxConcurrent: number;
  readonly queueSize: number;
  private readonly engine: Argon2Engine;

  constructor(
    private readonly parameters: Argon2Parameters = MINIMUM_ARGON2_PARAMETERS,
    options: PasswordHasherOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrent ?? defaultHashConcurrency();
    this.queueSize = options.queueSize ?? DEFAULT_HASH_QUEUE_SIZE;
    this.engine = options.engine ?? NODE_ARGON2_ENGINE;
  }

  /** Checks waiting for a slot (for metrics and tests). */
  get waiting(): number {
    return this.known.length + this.unknown.length;
  }

  /**
   * Whether a check of this priority arriving now would be shed: lets a caller refuse a flood
   * before doing any other work for it (the check itself still decides under the same rule).
   */
  wouldShed(priority: HashPriority): boolean {
    if (this.running < this.maxConcurrent || this.waiting < this.queueSize) return false;
    return priority === 'unknown' || this.unknown.length === 0;
  }

  /** New hashes (user creation, password change, rehash after a login): never shed. */
  hash(password: string): Promise<string> {
    return this.limited(() => this.engine.hash(password, this.parameters), 'known', false);
  }

  /**
   * Checks a password. A stored hash weaker than the current parameters also spends the
   * difference on a padding hash, so a wrong password costs what an unknown user's dummy check
   * costs (API.md timing rule; issue 10 item 5). Throws HashQueueFullError when shed.
   */
  async verify(
    storedHash: string,
    password: string,
    priority: HashPriority = 'known',
  ): Promise<VerifyResult> {
    const padding = this.paddingFor(storedHash);
    const paddingHash = padding && (await this.paddingHash(padding));
    let valid: boolean;
    try {
      valid = await this.limited(
        async () => {
          const result = await this.engine.verify(storedHash, password);
          if (paddingHash) await this.engine.verify(paddingHash, password).catch(() => false);
          return result;
        },
        priority,
        true,
      );
    } catch (error) {
      if (error instanceof HashQueueFullError) throw error;
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
  async verifyDummy(password: string, priority: HashPriority = 'known'): Promise<void> {
    await this.verify(await this.dummy(), password, priority);
  }

  /** The padding a stored hash needs to cost a current check; undefined when none. */
  paddingFor(storedHash: string): Argon2Parameters | undefined {
    const stored = readArgon2Parameters(storedHash);
    if (!stored) return undefined;
    return paddingParameters(costOf(this.parameters) - costOf(stored), this.parameters);
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    return this.dummyHash;
  }

  private paddingHash(parameters: Argon2Parameters): Promise<string> {
    const key = `${parameters.memoryCost}:${parameters.timeCost}:${parameters.parallelism}`;
    let made = this.paddingHashes.get(key);
    if (!made) {
      made = this.limited(
        () => this.engine.hash(randomBytes(32).toString('base64url'), parameters),
        'known',
        false,
      );
      this.paddingHashes.set(key, made);
    }
    return made;
  }

  /**
   * Runs `work` when a slot is free; a finished hash hands its slot to the next in line, known
   * pairs first. A sheddable check that finds the queue full is refused, unless it is a known
   * pair's and an unknown one waits: that one is shed in its place.
   */
  private async limited<T>(
    work: () => Promise<T>,
    priority: HashPriority,
    sheddable: boolean,
  ): Promise<T> {
    if (this.running < this.maxConcurrent) {
      this.running += 1;
    } else {
      if (sheddable && this.waiting >= this.queueSize) {
        const displaced = priority === 'known' ? this.unknown.pop() : undefined;
        if (!displaced) throw new HashQueueFullError();
        displaced.shed(new HashQueueFullError());
      }
      await new Promise<void>((resolve, reject) => {
        (priority === 'known' ? this.known : this.unknown).push({ start: resolve, shed: reject });
      });
    }
    try {
      return await work();
    } finally {
      const next = this.known.shift() ?? this.unknown.shift();
      if (next) next.start();
      else this.running -= 1;
    }
  }
}
