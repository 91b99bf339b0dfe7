import type { Jwt } from 'jsonwebtoken';

export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

interface Entry {
  token: string;
  decoded: Jwt;
  expiresAtMs: number;
}

/**
 * Access tokens whose signature, algorithm, `iss` and `aud` already checked out, so the guard
 * skips jsonwebtoken (the largest cost of a protected request) for a token it has seen.
 * - Keyed by the signature segment, and a hit must be the very same token string.
 * - An entry never outlives the token's `exp`: past it, the token takes the full path and
 *   gets its `TOKEN_EXPIRED`.
 * - Liveness is not cached here: the strategy's `validate()` still asks the session state on
 *   every request, so a revoked session is refused at once.
 * - Bounded: the oldest entry goes first (Map insertion order).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = DEFAULT_VERIFIED_TOKEN_CACHE_SIZE) {}

  get(token: string, now = Date.now()): Jwt | undefined {
    const signature = signatureOf(token);
    const entry = this.entries.get(signature);
    if (entry === undefined || entry.token !== token) return undefined;
    if (entry.expiresAtMs <= now) {
      this.entries.delete(signature);
      return undefined;
    }
    return entry.decoded;
  }

  /** Remembers a token that has just passed the full verification. */
  remember(token: string, decoded: Jwt, now = Date.now()): void {
    const exp = typeof decoded.payload === 'object' ? decoded.payload.exp : undefined;
    if (typeof exp !== 'number' || exp * 1000 <= now) return;
    const signature = signatureOf(token);
    if (this.entries.has(signature)) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(signature, { token, decoded, expiresAtMs: exp * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}

function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}
