import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../audit';
import { InjectAuthOptions } from '../auth.module-definition';
import type { AuthModuleOptions } from '../auth.options';
import { TokenService } from '../tokens/token.service';
import { RevocationNotifier } from './revocation-notifier';
import type { Session, SessionState } from './session';
import { SessionStateCache } from './session-state.cache';
import { SessionsRepository } from './sessions.repository';

export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'password_change'
  | 'user_disabled'
  | 'roles_reduced'
  | 'refresh_reuse'
  | 'review_measure'
  | 'session_deleted';

export interface NewSessionRequest {
  userId: string;
  ip: string;
  userAgent: string;
}

export interface RefreshMatch {
  session: Session;
  /**
   * `current`: the token in force; `previous`: the one it replaced at `rotatedAt`;
   * `stale`: an authentic token of an older generation, whose use can only be a reuse.
   */
  matched: 'current' | 'previous' | 'stale';
}

/**
 * The life of a session: creation, refresh-token rotation, revocation, and the liveness the
 * guard checks on every request (cached in-process, invalidated through RevocationNotifier).
 */
@Injectable()
export class SessionService implements OnModuleInit {
  constructor(
    private readonly repository: SessionsRepository,
    private readonly cache: SessionStateCache,
    private readonly notifier: RevocationNotifier,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    @InjectAuthOptions() private readonly options: AuthModuleOptions,
  ) {}

  onModuleInit(): void {
    this.notifier.subscribe((event) => {
      if (event.resync) this.cache.clear();
      this.cache.markEnded(event.sessionIds);
    });
  }

  /** A new login always gets a new session: a new id, salt and refresh family. */
  async create(request: NewSessionRequest, now = Date.now()): Promise<Session> {
    const id = randomUUID();
    const refreshSalt = this.tokens.newRefreshSalt();
    const expiresAt = now + this.options.session.absoluteTtl * 1000;
    const session: Session = {
      id,
      userId: request.userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      refreshExpiresAt: Math.min(expiresAt, now + this.options.session.refreshTtl * 1000),
      refreshHash: this.tokens.hashRefreshToken(this.tokens.refreshToken(id, 0, refreshSalt)),
      refreshGeneration: 0,
      refreshSalt,
      previousRefreshHash: null,
      rotatedAt: null,
      revokedAt: null,
      revokedReason: null,
      ip: request.ip,
      userAgent: request.userAgent.slice(0, 256),
    };
    await this.repository.insert(session);
    return session;
  }

  /** The refresh token in force for this session (recomputed, never stored in clear). */
  currentRefreshToken(session: Session): string {
    return this.tokens.refreshToken(session.id, session.refreshGeneration, session.refreshSalt);
  }

  /** Seconds until the current refresh token expires (also the refresh and CSRF cookies' Max-Age). */
  refreshMaxAge(session: Session, now = Date.now()): number {
    return Math.max(0, Math.floor((session.refreshExpiresAt - now) / 1000));
  }

  /** Undefined unless the token is one this server issued for an existing session. */
  async findByRefreshToken(token: string): Promise<RefreshMatch | undefined> {
    const claimed = this.tokens.parseRefreshToken(token);
    if (!claimed) return undefined;
    const session = await this.repository.findById(claimed.sessionId);
    if (!session || claimed.generation > session.refreshGeneration) return undefined;
    if (
      !this.tokens.refreshTokenIsAuthentic(
        token,
        session.id,
        claimed.generation,
        session.refreshSalt,
      )
    ) {
      return undefined;
    }
    if (claimed.generation === session.refreshGeneration) {
      // The stored hash must agree too: the database stays the authority on the current token.
      return this.tokens.hashRefreshToken(token) === session.refreshHash
        ? { session, matched: 'current' }
        : undefined;
    }
    return {
      session,
      matched: claimed.generation === session.refreshGeneration - 1 ? 'previous' : 'stale',
    };
  }

  isUsable(session: Session, now = Date.now()): boolean {
    return session.revokedAt === null && session.expiresAt > now && session.refreshExpiresAt > now;
  }

  /** Whether a previous token's reuse falls inside REFRESH_REUSE_GRACE. */
  withinReuseGrace(session: Session, now = Date.now()): boolean {
    return (
      session.rotatedAt !== null &&
      now - session.rotatedAt <= this.options.session.reuseGrace * 1000
    );
  }

  /**
   * Rotates the refresh token. Returns the session after rotation, or undefined when a
   * parallel request rotated it first (the caller then treats its token as the previous one).
   */
  async rotate(session: Session, now = Date.now()): Promise<Session | undefined> {
    const next: Session = {
      ...session,
      refreshGeneration: session.refreshGeneration + 1,
      previousRefreshHash: session.refreshHash,
      rotatedAt: now,
      lastSeenAt: now,
      refreshExpiresAt: Math.min(session.expiresAt, now + this.options.session.refreshTtl * 1000),
    };
    next.refreshHash = this.tokens.hashRefreshToken(this.currentRefreshToken(next));
    const rotated = await this.repository.rotate(session.id, {
      fromGeneration: session.refreshGeneration,
      refreshHash: next.refreshHash,
      previousRefreshHash: session.refreshHash,
      rotatedAt: now,
      refreshExpiresAt: next.refreshExpiresAt,
    });
    return rotated ? next : undefined;
  }

  findById(id: string): Promise<Session | undefined> {
    return this.repository.findById(id);
  }

  listLive(userId: string, now = Date.now()): Promise<Session[]> {
    return this.repository.listLiveForUser(userId, now);
  }

  /**
   * The guard's check. Warm: a Map lookup, no I/O. Cold: one indexed read, then cached.
   * Undefined means no such session.
   */
  state(sessionId: string): SessionState | undefined | Promise<SessionState | undefined> {
    // Without the shared revocation feed (Redis down) another instance's revocation would not
    // reach the cache: the database answers every time until the feed is back.
    if (!this.notifier.connected) return this.repository.findState(sessionId);
    const cached = this.cache.get(sessionId);
    if (cached) return cached;
    const epoch = this.cache.epoch;
    return this.repository.findState(sessionId).then((state) => {
      if (state) this.cache.fill(sessionId, state, epoch);
      return this.cache.get(sessionId) ?? state;
    });
  }

  /** Ends one session; the next request with any of its tokens gets 401 SESSION_REVOKED. */
  async revoke(sessionId: string, reason: RevocationReason, now = Date.now()): Promise<boolean> {
    const revoked = await this.repository.revoke(sessionId, reason, now);
    await this.notifier.publish({ sessionIds: [sessionId] });
    return revoked;
  }

  /**
   * Ends every live session of a user (but `exceptSessionId`), and records one
   * `authn_token_revoked` event naming the reason and the count.
   */
  async revokeAllForUser(
    user: { id: string; usernameNormalized: string },
    reason: RevocationReason,
    options: { exceptSessionId?: string; now?: number } = {},
  ): Promise<number> {
    const ids = await this.repository.revokeAllForUser(
      user.id,
      reason,
      options.now ?? Date.now(),
      options.exceptSessionId,
    );
    if (ids.length > 0) await this.notifier.publish({ sessionIds: ids });
    await this.audit.record({
      type: 'authn_token_revoked',
      outcome: 'success',
      username: user.usernameNormalized,
      userId: user.id,
      reason,
      details: { sessions: ids.length, keptCurrent: options.exceptSessionId !== undefined },
    });
    return ids.length;
  }
}
