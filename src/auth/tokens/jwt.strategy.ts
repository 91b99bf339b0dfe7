import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import jwt, { type Jwt, type JwtPayload } from 'jsonwebtoken';
import passport from 'passport';
import { Strategy } from 'passport-jwt';
import { AuthenticatedUser, GatehouseRequest, normalizeUsername, Role } from '../../common';
import { DeclaredRoles } from '../../users';
import { AuthCookies } from '../auth-cookies';
import { tokenFailure } from '../auth.errors';
import { InjectAuthOptions } from '../auth.module-definition';
import type { AuthModuleOptions } from '../auth.options';
import type { SessionState } from '../sessions/session';
import { SessionService } from '../sessions/session.service';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE } from './token.service';
import { AuthKeys } from './auth-keys';
import { VerifiedTokenCache } from './verified-token.cache';

export const JWT_STRATEGY = 'gatehouse-jwt';
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
 * passport-jwt with the algorithm pinned to HS256 and the key given as a KeyObject
 * (RFC 8725 §3.1, §3.11). jsonwebtoken checks signature, `iss`, `aud` and `exp`; this
 * strategy adds what it does not: `typ: at+jwt` (RFC 9068 / RFC 8725 §3.11), a required
 * `exp`, an `iat` not in the future, the claim shapes, and the session's liveness.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    @InjectAuthOptions() options: AuthModuleOptions,
    keys: AuthKeys,
    cookies: AuthCookies,
    private readonly sessions: SessionService,
    private readonly roles: DeclaredRoles,
  ) {
    const tokenFrom = accessTokenExtractor(cookies, options.jwt.allowBearer);
    super({
      jwtFromRequest: tokenFrom,
      // A KeyObject, made once; @types/passport-jwt only lists string | Buffer, but
      // passport-jwt hands it to jsonwebtoken.verify, which takes a KeyObject.
      secretOrKey: keys.accessToken as unknown as Buffer,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: options.jwt.issuer,
      audience: options.jwt.audience,
      jsonWebTokenOptions: { complete: true },
    });
    this.tokenFrom = tokenFrom;
  }

  private readonly tokenFrom: (request: GatehouseRequest) => string | null;
  private readonly verifiedTokens = new VerifiedTokenCache();

  /**
   * A token seen before skips jsonwebtoken (signature, alg, iss, aud were checked the first
   * time; `exp` is checked by the cache) but still goes through `validate()`, so claims and
   * session liveness (revocation) are checked on every request. `this` is the guard's
   * per-request attempt object, whose success/error actions end the attempt.
   */
  override authenticate(request: GatehouseRequest, options?: unknown): void {
    const token = this.tokenFrom(request);
    const cached = token === null ? undefined : this.verifiedTokens.get(token);
    if (cached !== undefined) {
      this.validate(cached).then(
        (user) => this.success(user),
        (error: unknown) => this.error(error as Error),
      );
      return;
    }
    if (token !== null) {
      const succeed = this.success.bind(this);
      this.success = (user: AuthenticatedUser, info?: object) => {
        const decoded = jwt.decode(token, { complete: true });
        if (decoded !== null) this.verifiedTokens.remember(token, decoded);
        succeed(user, info);
      };
    }
    // passport-jwt's typings name Express's Request; it reads only what GatehouseRequest has
    // (the extractor above), so a Fastify request works the same.
    super.authenticate(request as Parameters<Strategy['authenticate']>[0], options);
  }

  /**
   * Registers the strategy on a passport instance of its own, not the process-wide one, so
   * two applications in one process (tests, embedding) never swap each other's keys. The
   * guard calls the strategy directly.
   */
  getPassportInstance(): passport.PassportStatic {
    return new passport.Passport() as passport.PassportStatic;
  }

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
