import type { AuditEventInput, AuditService } from '../../audit';
import type { AuthModuleOptions } from '../auth.options';
import { JwtService } from '@nestjs/jwt';
import { accessTokenJwtOptions } from '../tokens/access-token.jwt-options';
import { AuthKeys } from '../tokens/auth-keys';
import { TokenService } from '../tokens/token.service';
import { LocalRevocationNotifier } from './revocation-notifier';
import type { Session, SessionState } from './session';
import { SessionStateCache } from './session-state.cache';
import { SessionService } from './session.service';
import { Rotation, SessionsRepository } from './sessions.repository';

const options: AuthModuleOptions = {
  jwt: {
    secret: 's'.repeat(40),
    accessTtl: 900,
    issuer: 'gatehouse',
    audience: 'gatehouse-api',
    allowBearer: false,
  },
  session: { refreshTtl: 3600, reuseGrace: 10, absoluteTtl: 86400 },
  cookies: { secure: false },
  appOrigins: [],
};

/** In-memory sessions; counts state reads so the cache's effect is visible. */
class FakeSessionsRepository extends SessionsRepository {
  readonly sessions = new Map<string, Session>();
  stateReads = 0;

  insert(session: Session): Promise<void> {
    this.sessions.set(session.id, { ...session });
    return Promise.resolve();
  }
  findById(id: string): Promise<Session | undefined> {
    return Promise.resolve(this.sessions.get(id));
  }
  findState(id: string): Promise<SessionState | undefined> {
    this.stateReads++;
    const s = this.sessions.get(id);
    return Promise.resolve(
      s && {
        userId: s.userId,
        usernameNormalized: 'ann',
        expiresAt: s.expiresAt,
        ended: s.revokedAt !== null,
      },
    );
  }
  rotate(id: string, rotation: Rotation): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s || s.refreshGeneration !== rotation.fromGeneration || s.revokedAt !== null)
      return Promise.resolve(false);
    Object.assign(s, {
      refreshGeneration: s.refreshGeneration + 1,
      refreshHash: rotation.refreshHash,
      previousRefreshHash: rotation.previousRefreshHash,
      rotatedAt: rotation.rotatedAt,
      refreshExpiresAt: rotation.refreshExpiresAt,
    });
    return Promise.resolve(true);
  }
  touch(): Promise<void> {
    return Promise.resolve();
  }
  revoke(id: string, reason: string, now: number): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s || s.revokedAt !== null) return Promise.resolve(false);
    Object.assign(s, { revokedAt: now, revokedReason: reason });
    return Promise.resolve(true);
  }
  revokeAllForUser(
    userId: string,
    reason: string,
    now: number,
    exceptId?: string,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (const s of this.sessions.values()) {
      if (s.userId === userId && s.revokedAt === null && s.id !== exceptId) {
        Object.assign(s, { revokedAt: now, revokedReason: reason });
        ids.push(s.id);
      }
    }
    return Promise.resolve(ids);
  }
  listLiveForUser(userId: string, now: number): Promise<Session[]> {
    return Promise.resolve(
      [...this.sessions.values()].filter(
        (s) => s.userId === userId && s.revokedAt === null && s.expiresAt > now,
      ),
    );
  }
  deleteEndedBefore(): Promise<number> {
    return Promise.resolve(0);
  }
}

describe('SessionService', () => {
  let repository: FakeSessionsRepository;
  let service: SessionService;
  let tokens: TokenService;
  let recorded: AuditEventInput[];

  beforeEach(() => {
    repository = new FakeSessionsRepository();
    recorded = [];
    const audit = {
      record: (input: AuditEventInput) => Promise.resolve(recorded.push(input)),
    } as unknown as AuditService;
    const keys = new AuthKeys(options.jwt.secret);
    tokens = new TokenService(new JwtService(accessTokenJwtOptions(keys, options)), keys, options);
    service = new SessionService(
      repository,
      new SessionStateCache(),
      new LocalRevocationNotifier(),
      tokens,
      audit,
      options,
    );
    service.onModuleInit();
  });

  it('creates a session whose stored hash is that of the current refresh token', async () => {
    const session = await service.create({ userId: 'u1', ip: '192.0.2.1', userAgent: 'x' }, 1_000);
    expect(session.expiresAt).toBe(1_000 + 86_400_000);
    expect(session.refreshExpiresAt).toBe(1_000 + 3_600_000);
    const token = service.currentRefreshToken(session);
    expect(token).toMatch(/^[\w-]{36}\.\d+\.[\w-]{43}$/);
    expect(session.refreshHash).toBe(tokens.hashRefreshToken(token));
    expect(JSON.stringify(repository.sessions.get(session.id))).not.toContain(token);
    expect(await service.findByRefreshToken(token)).toEqual({
      session: expect.objectContaining({ id: session.id }),
      matched: 'current',
    });
  });

  it('rotates: the old token becomes the previous one, and a second rotation from it fails', async () => {
    const session = await service.create({ userId: 'u1', ip: '-', userAgent: '' });
    const oldToken = service.currentRefreshToken(session);
    const rotated = await service.rotate(session);
    expect(rotated?.refreshGeneration).toBe(1);
    expect(service.currentRefreshToken(rotated!)).not.toBe(oldToken);
    expect(await service.rotate(session)).toBeUndefined();
    expect((await service.findByRefreshToken(oldToken))?.matched).toBe('previous');
    expect(service.withinReuseGrace(rotated!, rotated!.rotatedAt! + 10_000)).toBe(true);
    expect(service.withinReuseGrace(rotated!, rotated!.rotatedAt! + 10_001)).toBe(false);
  });

  it('tells current, previous and stale generations apart, and refuses forgeries', async () => {
    const session = await service.create({ userId: 'u1', ip: '-', userAgent: '' });
    const generation0 = service.currentRefreshToken(session);
    const once = (await service.rotate(session))!;
    const generation1 = service.currentRefreshToken(once);
    const twice = (await service.rotate(once))!;
    const generation2 = service.currentRefreshToken(twice);
    expect((await service.findByRefreshToken(generation2))?.matched).toBe('current');
    expect((await service.findByRefreshToken(generation1))?.matched).toBe('previous');
    expect((await service.findByRefreshToken(generation0))?.matched).toBe('stale');
    const [sid, , mac] = generation2.split('.');
    expect(await service.findByRefreshToken(`${sid}.3.${mac}`)).toBeUndefined();
    expect(await service.findByRefreshToken(`${sid}.2.${'A'.repeat(43)}`)).toBeUndefined();
    expect(await service.findByRefreshToken('garbage')).toBeUndefined();
  });

  it('answers liveness from the cache after the first read, and sees a revocation at once', async () => {
    const session = await service.create({ userId: 'u1', ip: '-', userAgent: '' });
    expect((await service.state(session.id))?.ended).toBe(false);
    expect((await service.state(session.id))?.ended).toBe(false);
    expect(repository.stateReads).toBe(1);
    await service.revoke(session.id, 'logout');
    expect((await service.state(session.id))?.ended).toBe(true);
    expect(repository.stateReads).toBe(1);
  });

  it('revokes all of a user’s sessions but one, publishes each id, and audits the count', async () => {
    const keep = await service.create({ userId: 'u1', ip: '-', userAgent: '' });
    const other = await service.create({ userId: 'u1', ip: '-', userAgent: '' });
    const foreign = await service.create({ userId: 'u2', ip: '-', userAgent: '' });
    for (const s of [keep, other, foreign]) await service.state(s.id);
    const count = await service.revokeAllForUser(
      { id: 'u1', usernameNormalized: 'ann' },
      'password_change',
      { exceptSessionId: keep.id },
    );
    expect(count).toBe(1);
    expect((await service.state(other.id))?.ended).toBe(true);
    expect((await service.state(keep.id))?.ended).toBe(false);
    expect((await service.state(foreign.id))?.ended).toBe(false);
    expect(recorded).toEqual([
      expect.objectContaining({
        type: 'authn_token_revoked',
        username: 'ann',
        userId: 'u1',
        reason: 'password_change',
        details: { sessions: 1, keptCurrent: true },
      }),
    ]);
  });
});
