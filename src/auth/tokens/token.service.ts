import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../../common';
import { InjectAuthOptions } from '../auth.module-definition';
import type { AuthModuleOptions } from '../auth.options';
import { AuthKeys } from './auth-keys';

const REFRESH_TOKEN_FORMAT =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,9})\.[A-Za-z0-9_-]{43}$/;

export interface AccessTokenSubject {
  userId: string;
  username: string;
  roles: Role[];
  sessionId: string;
  /** The session's absolute end (epoch ms): no access token outlives it. */
  sessionExpiresAt: number;
}

export interface IssuedAccessToken {
  token: string;
  /** Seconds, also the cookie's Max-Age. */
  maxAge: number;
}

/**
 * Makes the three tokens of a session:
 * - the access token, a JWT (RFC 9068 profile: `typ: at+jwt`, HS256 pinned), signed by
 *   `JwtService` with the options of `accessTokenJwtOptions`;
 * - the refresh token, `sid.generation.HMAC(refreshKey, sid.generation.salt)`: 256 bits that
 *   only the server can compute, stored as a SHA-256 hash, and recomputable from the row so a
 *   racing tab can be handed the current token again without storing it in clear;
 * - the CSRF token, `HMAC(csrfKey, sid)`, bound to the session for its whole life.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: AuthKeys,
    @InjectAuthOptions() private readonly options: AuthModuleOptions,
  ) {}

  issueAccessToken(subject: AccessTokenSubject, now = Date.now()): IssuedAccessToken {
    const secondsLeftInSession = Math.floor((subject.sessionExpiresAt - now) / 1000);
    const maxAge = Math.max(1, Math.min(this.options.jwt.accessTtl, secondsLeftInSession));
    const iat = Math.floor(now / 1000);
    // alg, typ, iss, aud and the key come from the module's signOptions.
    const token = this.jwt.sign({
      sub: subject.userId,
      sid: subject.sessionId,
      username: subject.username,
      roles: subject.roles,
      iat,
      exp: iat + maxAge,
      jti: randomBytes(16).toString('base64url'),
    });
    return { token, maxAge };
  }

  newRefreshSalt(): string {
    return randomBytes(32).toString('base64url');
  }

  /**
   * `<sid>.<generation>.<mac>`: the MAC (256 bits) is the secret part; the session id and the
   * generation let the server recompute the token of any generation of the session, so a token
   * rotated long ago is still recognised as a reuse, not as garbage (RFC 9700 §4.14.2).
   */
  refreshToken(sessionId: string, generation: number, salt: string): string {
    return `${sessionId}.${generation}.${this.refreshMac(sessionId, generation, salt)}`;
  }

  /** The session and generation a refresh token claims; the MAC is checked by `refreshTokenIsAuthentic`. */
  parseRefreshToken(token: string): { sessionId: string; generation: number } | undefined {
    const match = REFRESH_TOKEN_FORMAT.exec(token);
    return match ? { sessionId: match[1], generation: Number(match[2]) } : undefined;
  }

  refreshTokenIsAuthentic(
    token: string,
    sessionId: string,
    generation: number,
    salt: string,
  ): boolean {
    const expected = Buffer.from(this.refreshToken(sessionId, generation, salt));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private refreshMac(sessionId: string, generation: number, salt: string): string {
    return createHmac('sha256', this.keys.refreshToken)
      .update(`${sessionId}.${generation}.${salt}`)
      .digest('base64url');
  }

  /** What the database keeps of a refresh token. */
  hashRefreshToken(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('base64url');
  }

  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.keys.csrfToken).update(sessionId).digest('base64url');
  }
}
