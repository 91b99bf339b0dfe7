import { Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Role } from '../../common';
import { InjectAuthOptions } from '../auth.module-definition';
import type { AuthModuleOptions } from '../auth.options';
import { AuthKeys } from './auth-keys';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

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
 * - the access token, a JWT (RFC 9068 profile: `typ: at+jwt`, HS256 pinned);
 * - the refresh token, `HMAC(refreshKey, sid.generation.salt)`: 256 bits that only the server
 *   can compute, stored as a SHA-256 hash, and recomputable from the row so a racing tab can
 *   be handed the current token again without storing it in clear;
 * - the CSRF token, `HMAC(csrfKey, sid)`, bound to the session for its whole life.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly keys: AuthKeys,
    @InjectAuthOptions() private readonly options: AuthModuleOptions,
  ) {}

  issueAccessToken(subject: AccessTokenSubject, now = Date.now()): IssuedAccessToken {
    const secondsLeftInSession = Math.floor((subject.sessionExpiresAt - now) / 1000);
    const maxAge = Math.max(1, Math.min(this.options.jwt.accessTtl, secondsLeftInSession));
    const iat = Math.floor(now / 1000);
    const token = jwt.sign(
      {
        sub: subject.userId,
        sid: subject.sessionId,
        username: subject.username,
        roles: subject.roles,
        iat,
        exp: iat + maxAge,
        jti: randomBytes(16).toString('base64url'),
      },
      this.keys.accessToken,
      {
        algorithm: ACCESS_TOKEN_ALGORITHM,
        header: { alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE },
        issuer: this.options.jwt.issuer,
        audience: this.options.jwt.audience,
      },
    );
    return { token, maxAge };
  }

  newRefreshSalt(): string {
    return randomBytes(32).toString('base64url');
  }

  refreshToken(sessionId: string, generation: number, salt: string): string {
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
