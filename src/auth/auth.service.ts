import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BlocksService, type AuditEvent, type AuditEventInput } from '../audit';
import { AuthenticatedUser, isDomainError, LoginFailureReason } from '../common';
import {
  CredentialCheck,
  HashQueueFullError,
  normalizeUsername,
  PasswordHasher,
  PublicUser,
  toPublicUser,
  User,
  UsersService,
} from '../users';
import type { SessionCookieValues } from './auth-cookies';
import {
  csrfTokenRefused,
  invalidCredentials,
  loginBusy,
  refreshInvalid,
  refreshReused,
  sessionNotFound,
  tooManyAttempts,
} from './auth.errors';
import { LoginAuditLedger } from './login/login-audit.ledger';
import type { Session } from './sessions/session';
import { SessionService } from './sessions/session.service';
import { LoginThrottleService } from './throttle';
import { TokenService } from './tokens/token.service';

/**
 * Retry-After of `503 LOGIN_BUSY`: a full queue drains in about a second or two (32 checks of
 * ~60 ms on one thread by default), and a client that retries later than that finds room.
 */
const LOGIN_BUSY_RETRY_AFTER_SECONDS = 2;

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export interface SignedIn {
  user: PublicUser;
  cookies: SessionCookieValues;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string;
  userAgent: string;
  current: boolean;
}

/**
 * Login, refresh, logout and the session list: every rule of the auth routes. Each login
 * records exactly one audit event through LoginAuditLedger, whatever the outcome.
 */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottleService,
    private readonly blocks: BlocksService,
    private readonly ledger: LoginAuditLedger,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * Makes the dummy hash now: made lazily, it would make the first unknown-user login slower
   * than a wrong password, which is the timing difference it exists to remove.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.hasher.verifyDummy('warm-up');
  }

  /**
   * Blocks and throttle locks are answered before any hashing (API.md). Unknown user, wrong
   * password and disabled user end in the same 401 (the reason is only in the audit trail).
   */
  async login(username: string, password: string, client: ClientInfo): Promise<SignedIn> {
    const usernameNormalized = normalizeUsername(username);
    const block = await this.blocks.findActiveForLogin(client.ip, usernameNormalized);
    if (block) {
      const reason = block.kind === 'ip' ? LoginFailureReason.IpBlocked : LoginFailureReason.Locked;
      await this.recordLoginFailure(usernameNormalized, reason, undefined, { blockId: block.id });
      throw tooManyAttempts((Date.parse(block.expiresAt) - Date.now()) / 1000);
    }
    // Under a flood, an unknown pair's attempt that would only be shed costs nothing more.
    const knownPair = await this.throttle.isKnownPair(usernameNormalized, client.ip);
    if (this.hasher.wouldShed(knownPair ? 'known' : 'unknown')) {
      return this.loginBusy(usernameNormalized);
    }
    // One atomic reservation before any hashing: at most the limit of attempts reach the hash.
    const decision = await this.throttle.reserve(usernameNormalized, client.ip, knownPair);
    if (!decision.allowed) {
      await this.recordLoginFailure(usernameNormalized, decision.reason, undefined, {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
      throw tooManyAttempts(decision.retryAfterSeconds);
    }
    const attempt = decision.attempt;

    let check: CredentialCheck;
    try {
      check = await this.users.verifyCredentials(
        username,
        password,
        attempt.knownPair ? 'known' : 'unknown',
      );
    } catch (error) {
      // No credential was checked: the attempt counts as no failure.
      await this.throttle.released(attempt);
      if (!(error instanceof HashQueueFullError)) throw error;
      return this.loginBusy(usernameNormalized);
    }
    if (check.outcome !== 'success') {
      const userId = check.outcome === 'unknown_user' ? undefined : check.user.id;
      const failure = this.throttle.failed(attempt);
      if (failure.lockedNow) {
        await this.ledger.record({
          type: 'authn_login_fail_max',
          outcome: 'failure',
          username: usernameNormalized,
          userId,
          reason: check.outcome,
          details: { locks: failure.reasons },
        });
      } else {
        await this.recordLoginFailure(usernameNormalized, check.outcome, userId);
      }
      throw invalidCredentials();
    }

    const user = check.user;
    const { hadFailures } = await this.throttle.succeeded(attempt);
    const now = Date.now();
    const session = await this.sessions.create(
      { userId: user.id, ip: client.ip, userAgent: client.userAgent },
      now,
    );
    await this.recordForCaller(user, {
      type: hadFailures ? 'authn_login_successafterfail' : 'authn_login_success',
      outcome: 'success',
      sessionId: session.id,
    });
    return { user: toPublicUser(user), cookies: this.cookieValues(user, session, now) };
  }

  /**
   * Rotates the refresh token. A second use of the previous token within the grace answers
   * the session's current tokens; after it, the whole session is revoked (RFC 9700 §4.14.2).
   * The CSRF token is checked once the session is known, before anything changes.
   */
  async refresh(
    refreshToken: string | undefined,
    csrfRequestOk: (sessionId: string) => boolean,
  ): Promise<SignedIn> {
    if (refreshToken === undefined) throw refreshInvalid();
    const now = Date.now();
    let match = await this.sessions.findByRefreshToken(refreshToken);
    if (!match || !this.sessions.isUsable(match.session, now)) {
      await this.ledger.record({
        type: 'authn_token_refreshed',
        outcome: 'failure',
        reason: 'invalid_token',
        ...(match ? { userId: match.session.userId, sessionId: match.session.id } : {}),
      });
      throw refreshInvalid();
    }
    let session = match.session;
    const user = await this.users.findById(session.userId);
    if (!csrfRequestOk(session.id)) {
      await this.ledger.record({
        type: 'malicious_csrf',
        outcome: 'failure',
        username: user?.usernameNormalized,
        userId: session.userId,
        sessionId: session.id,
        details: { check: 'token', route: 'refresh' },
      });
      throw csrfTokenRefused();
    }
    if (!user || user.disabled) {
      await this.sessions.revoke(session.id, 'user_disabled', now);
      throw refreshInvalid();
    }

    if (match.matched === 'current') {
      const rotated = await this.sessions.rotate(session, now);
      if (rotated) {
        session = rotated;
      } else {
        // A parallel request rotated first: this token is now an older one.
        match = await this.sessions.findByRefreshToken(refreshToken);
        if (!match || !this.sessions.isUsable(match.session, now)) throw refreshInvalid();
        session = match.session;
      }
    }
    const graceReuse = match.matched === 'previous' && this.sessions.withinReuseGrace(session, now);
    if (match.matched !== 'current' && !graceReuse) {
      await this.sessions.revoke(session.id, 'refresh_reuse', now);
      await this.recordForCaller(user, {
        type: 'authn_token_reuse',
        outcome: 'failure',
        sessionId: session.id,
        reason: 'refresh_reuse',
        details: {
          generationsBehind: match.matched === 'previous' ? 1 : 'more',
          rotatedAt: session.rotatedAt === null ? null : new Date(session.rotatedAt).toISOString(),
        },
      });
      throw refreshReused();
    }
    await this.recordForCaller(user, {
      type: 'authn_token_refreshed',
      outcome: 'success',
      sessionId: session.id,
      details: graceReuse ? { graceReuse: true } : undefined,
    });
    return { user: toPublicUser(user), cookies: this.cookieValues(user, session, now) };
  }

  async logout(user: AuthenticatedUser): Promise<void> {
    await this.sessions.revoke(user.sessionId, 'logout');
    await this.recordForCaller(user, {
      type: 'session_logout',
      outcome: 'success',
    });
  }

  async logoutAll(user: AuthenticatedUser): Promise<number> {
    const revoked = await this.sessions.revokeAllForUser(
      { id: user.id, usernameNormalized: user.usernameNormalized },
      'logout_all',
    );
    await this.recordForCaller(user, {
      type: 'session_logout',
      outcome: 'success',
      details: { allSessions: true, revoked },
    });
    return revoked;
  }

  /** From the verified token: the guard has already checked that the session is live. */
  me(user: AuthenticatedUser): PublicUser {
    return { id: user.id, username: user.username, roles: user.roles };
  }

  async listSessions(user: AuthenticatedUser): Promise<SessionView[]> {
    const sessions = await this.sessions.listLive(user.id);
    return sessions.map((session) => ({
      id: session.id,
      createdAt: new Date(session.createdAt).toISOString(),
      lastSeenAt: new Date(session.lastSeenAt).toISOString(),
      ip: session.ip,
      userAgent: session.userAgent,
      current: session.id === user.sessionId,
    }));
  }

  /**
   * Ends one of the caller's own sessions. Returns whether it was the current one (the
   * controller then clears the cookies). Another user's session is indistinguishable from
   * an unknown id: 404.
   */
  async deleteSession(user: AuthenticatedUser, sessionId: string): Promise<{ current: boolean }> {
    if (sessionId === user.sessionId) {
      await this.logout(user);
      return { current: true };
    }
    const session = await this.sessions.findById(sessionId);
    if (!session || session.userId !== user.id || !this.sessions.isUsable(session))
      throw sessionNotFound();
    await this.sessions.revoke(session.id, 'session_deleted');
    await this.recordForCaller(user, {
      type: 'authn_token_revoked',
      outcome: 'success',
      sessionId: session.id,
      reason: 'session_deleted',
    });
    return { current: false };
  }

  /**
   * Changes the caller's password, then ends every other session of theirs. A wrong current
   * password is a failed credential check like a login's: it counts toward, and is refused by,
   * the same locks, so a stolen session cannot be used to guess the password at full speed.
   */
  async changePassword(
    user: AuthenticatedUser,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    const decision = await this.throttle.reserve(user.usernameNormalized, client.ip);
    if (!decision.allowed) {
      await this.recordForCaller(user, {
        type: 'authn_password_change',
        outcome: 'failure',
        reason: decision.reason,
      });
      throw tooManyAttempts(decision.retryAfterSeconds);
    }
    let updated: User;
    try {
      updated = await this.users.changePassword(user.id, currentPassword, newPassword);
    } catch (error) {
      // A wrong current password stays counted; anything else checked no credential or passed.
      if (isDomainError(error, 'INVALID_CREDENTIALS')) throw error;
      await this.throttle.released(decision.attempt);
      if (!(error instanceof HashQueueFullError)) throw error;
      await this.recordForCaller(user, {
        type: 'authn_password_change',
        outcome: 'failure',
        reason: LoginFailureReason.Busy,
      });
      throw loginBusy(LOGIN_BUSY_RETRY_AFTER_SECONDS);
    }
    await this.throttle.released(decision.attempt);
    await this.sessions.revokeAllForUser(
      { id: updated.id, usernameNormalized: updated.usernameNormalized },
      'password_change',
      { exceptSessionId: user.sessionId },
    );
  }

  private cookieValues(user: User, session: Session, now = Date.now()): SessionCookieValues {
    const access = this.tokens.issueAccessToken(
      {
        userId: user.id,
        username: user.username,
        roles: user.roles,
        sessionId: session.id,
        sessionExpiresAt: session.expiresAt,
      },
      now,
    );
    return {
      accessToken: access.token,
      accessMaxAge: access.maxAge,
      refreshToken: this.sessions.currentRefreshToken(session),
      refreshMaxAge: this.sessions.refreshMaxAge(session, now),
      csrfToken: this.tokens.csrfToken(session.id),
    };
  }

  /** `503 LOGIN_BUSY`: audited with reason `busy`, counted as no failure. */
  private async loginBusy(usernameNormalized: string): Promise<never> {
    await this.recordLoginFailure(usernameNormalized, LoginFailureReason.Busy, undefined, {
      retryAfterSeconds: LOGIN_BUSY_RETRY_AFTER_SECONDS,
    });
    throw loginBusy(LOGIN_BUSY_RETRY_AFTER_SECONDS);
  }

  /** An audit event about a user, on the caller's own session unless it names another. */
  private recordForCaller(
    user: Pick<AuthenticatedUser, 'id' | 'usernameNormalized'> & { sessionId?: string },
    event: Omit<AuditEventInput, 'username' | 'userId'>,
  ): Promise<AuditEvent> {
    return this.ledger.record({
      username: user.usernameNormalized,
      userId: user.id,
      sessionId: user.sessionId,
      ...event,
    });
  }

  private async recordLoginFailure(
    usernameNormalized: string,
    reason: LoginFailureReason,
    userId?: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await this.ledger.record({
      type: 'authn_login_fail',
      outcome: 'failure',
      username: usernameNormalized,
      userId,
      reason,
      details,
    });
  }
}
