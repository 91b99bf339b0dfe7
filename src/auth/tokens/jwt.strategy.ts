import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Jwt, JwtPayload } from 'jsonwebtoken';
import { AuthenticatedUser, GatehouseRequest, normalizeUsername, Role } from '../../common';
import { DeclaredRoles } from '../../users';
import { AuthCookies } from '../auth-cookies';
import { tokenFailure } from '../auth.errors';
import { InjectAuthOptions } from '../auth.module-definition';
import type { AuthModuleOptions } from '../auth.options';
import type { SessionState } from '../sessions/session';
import { SessionService } from '../sessions/session.service';
import { ACCESS_TOKEN_TYPE } from './access-token.jwt-options';
import { VerifiedTokenCache } from './verified-token.cache';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/**
 * The access token comes from the cookie only: `__Host-access_token` when cookies are
 * secure, `access_token` otherwise. A Bearer header is read only when the host enables it;
 * a query string never is (RFC 6750 §5.3, ASVS 5.0 V3.5).
 */
export function accessTokenExtractor(
  cookies: AuthCookies,
  allowBearer: boolean,
): (request: GatehouseRequest) => string | null {
  return (request) => {
    const fromCookie = cookies.accessToken(request);
    if (fromCookie !== undefined) return fromCookie;
    if (!allowBearer) return null;
    const match = BEARER.exec(request.headers.authorization ?? '');
    return match ? match[1] : null;
  };
}

/** The roles claim: a list of roles this application declares (the `roles` option). */
function isRoleList(value: unknown, declared: DeclaredRoles): value is Role[] {
  return (
    Array.isArray(value) && value.every((role) => typeof role === 'string' && declared.has(role))
  );
}

/**
 * Turns a request's access token into its user, or throws one of the four 401s of API.md
 * (`TOKEN_MISSING`, `TOKEN_EXPIRED`, `TOKEN_INVALID`, `SESSION_REVOKED`), in three explicit
 * steps: read the token (cookie, or Bearer when enabled), verify it, check its claims and its
 * session.
 *
 * Verification is `JwtService.verify` from `@nestjs/jwt`, configured once by SessionsModule
 * (`accessTokenJwtOptions`): HS256 pinned, the key a KeyObject, `iss` and `aud` checked, `exp`
 * checked when present. `validate()` adds what jsonwebtoken does not check: `typ: at+jwt`
 * (RFC 9068, RFC 8725 §3.11), only known header members (RFC 7515 §4.1.11, RFC 8725 §3.10), a
 * required `exp`, an `iat` not in the future, the claim shapes, and the session's liveness.
 *
 * Why not a passport strategy behind `@nestjs/passport`'s `AuthGuard`: passport reports a
 * failure as an opaque `info` that the guard then has to map back to the four codes, and it
 * drives the strategy through a per-request object whose `success`/`fail` callbacks had to be
 * swapped to put the verified-token cache in front of the signature check. One awaited call
 * that either returns the user or throws the exact 401 says the same with nothing hidden.
 */
@Injectable()
export class JwtStrategy {
  private readonly tokenFrom: (request: GatehouseRequest) => string | null;
  private readonly verifiedTokens = new VerifiedTokenCache();

  constructor(
    @InjectAuthOptions() options: AuthModuleOptions,
    cookies: AuthCookies,
    private readonly jwt: JwtService,
    private readonly sessions: SessionService,
    private readonly roles: DeclaredRoles,
  ) {
    this.tokenFrom = accessTokenExtractor(cookies, options.jwt.allowBearer);
  }

  /** The request's user; throws `tokenFailure(...)` (401) or a storage error (500). */
  async authenticate(request: GatehouseRequest): Promise<AuthenticatedUser> {
    const token = this.tokenFrom(request);
    // An empty cookie counts as no token.
    if (!token) throw tokenFailure('TOKEN_MISSING');
    return this.validate(this.verify(token));
  }

  /**
   * Signature, algorithm, `iss`, `aud` and `exp`, through JwtService. A token that passed
   * before is answered by the cache (the signature check is the largest cost of a protected
   * request); the cache drops an entry at the token's `exp`, and `validate()` still runs on
   * every request, so claims and revocation are never cached.
   */
  verify(token: string): Jwt {
    const cached = this.verifiedTokens.get(token);
    if (cached !== undefined) return cached;
    let decoded: Jwt;
    try {
      decoded = this.jwt.verify<Jwt>(token, { complete: true });
    } catch (error) {
      // jsonwebtoken's own error names; anything else it throws (malformed, bad signature,
      // wrong alg/iss/aud, not yet valid) is one TOKEN_INVALID.
      throw tokenFailure(
        error instanceof Error && error.name === 'TokenExpiredError'
          ? 'TOKEN_EXPIRED'
          : 'TOKEN_INVALID',
      );
    }
    this.verifiedTokens.remember(token, decoded);
    return decoded;
  }

  /** The claims and the session of a token whose signature checked out. */
  async validate(decoded: Jwt): Promise<AuthenticatedUser> {
    if (
      decoded.header.typ !== ACCESS_TOKEN_TYPE ||
      !hasOnlyKnownHeaderParameters(decoded.header) ||
      typeof decoded.payload === 'string'
    ) {
      throw tokenFailure('TOKEN_INVALID');
    }
    const claims: JwtPayload = decoded.payload;
    const nowSeconds = Date.now() / 1000;
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      claims.iat > nowSeconds + CLOCK_SKEW_SECONDS ||
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      typeof claims.username !== 'string' ||
      !isRoleList(claims.roles, this.roles)
    ) {
      throw tokenFailure('TOKEN_INVALID');
    }
    const state = await this.sessions.state(claims.sid);
    if (!isLive(state, claims.sub)) throw tokenFailure('SESSION_REVOKED');
    return {
      id: claims.sub,
      username: claims.username,
      // A host store's users are not in Gatehouse's table: the signed claim names them.
      usernameNormalized: state.usernameNormalized ?? normalizeUsername(claims.username),
      roles: claims.roles,
      sessionId: claims.sid,
    };
  }
}

/** The JOSE header members this server writes, and so the only ones it accepts. */
const ACCEPTED_HEADER_PARAMETERS = new Set(['alg', 'typ']);
/** Key ids this server signs with: none yet (one key). A key rotation adds its ids here. */
const KNOWN_KEY_IDS = new Set<string>();

/**
 * API.md: a header carrying `crit`, `jku`, `jwk`, `x5u`, `x5c` or an unknown `kid` is
 * TOKEN_INVALID. jsonwebtoken ignores them, so a token could name a key or an extension this
 * server never honours (RFC 7515 §4.1.11: an unknown `crit` must be refused; RFC 8725 §3.10:
 * never follow header-supplied keys or URLs). Allow-listing also refuses any member added later.
 */
function hasOnlyKnownHeaderParameters(header: object): boolean {
  for (const [name, value] of Object.entries(header)) {
    if (ACCEPTED_HEADER_PARAMETERS.has(name)) continue;
    if (name === 'kid' && typeof value === 'string' && KNOWN_KEY_IDS.has(value)) continue;
    return false;
  }
  return true;
}

/** Tolerated clock difference between instances for `iat`. */
export const CLOCK_SKEW_SECONDS = 5;

function isLive(state: SessionState | undefined, userId: string): state is SessionState {
  return (
    state !== undefined && !state.ended && state.userId === userId && state.expiresAt > Date.now()
  );
}
