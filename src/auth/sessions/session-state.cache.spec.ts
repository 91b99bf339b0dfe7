import type { SessionState } from './session';
import { SessionStateCache } from './session-state.cache';

const live = (userId = 'u1'): SessionState => ({
  userId,
  usernameNormalized: 'ann',
  expiresAt: 1_800_000_060_000,
  ended: false,
});

describe('SessionStateCache', () => {
  it('returns what was filled', () => {
    const cache = new SessionStateCache();
    cache.fill('s1', live());
    expect(cache.get('s1')).toEqual(live());
    expect(cache.get('s2')).toBeUndefined();
  });

  it('marks a cached session ended', () => {
    const cache = new SessionStateCache();
    cache.fill('s1', live());
    cache.markEnded(['s1']);
    expect(cache.get('s1')?.ended).toBe(true);
  });

  it('keeps a tombstone for an uncached session, so a stale database read cannot revive it', () => {
    const cache = new SessionStateCache();
    cache.markEnded(['s1']);
    // A lookup that read the row before the revocation committed arrives late.
    cache.fill('s1', live());
    expect(cache.get('s1')?.ended).toBe(true);
  });

  it('never overwrites an entry on fill', () => {
    const cache = new SessionStateCache();
    cache.fill('s1', live('first'));
    cache.fill('s1', live('second'));
    expect(cache.get('s1')?.userId).toBe('first');
  });

  it('is bounded, dropping the oldest entry first', () => {
    const cache = new SessionStateCache(2);
    cache.fill('a', live());
    cache.fill('b', live());
    cache.fill('c', live());
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });
});

describe('SessionStateCache live-entry expiry', () => {
  const live = {
    userId: 'u',
    usernameNormalized: 'u',
    expiresAt: Number.MAX_SAFE_INTEGER,
    ended: false,
  };

  it('treats a live entry older than the TTL as a miss, so out-of-process revocations are seen', () => {
    let now = 1_000;
    const cache = new SessionStateCache(10, 15_000, () => now);
    cache.fill('s1', { ...live });
    now += 15_000;
    expect(cache.get('s1')).toEqual(live);
    now += 1;
    expect(cache.get('s1')).toBeUndefined();
  });

  it('never expires a tombstone', () => {
    let now = 1_000;
    const cache = new SessionStateCache(10, 15_000, () => now);
    cache.markEnded(['s2']);
    now += 3_600_000;
    expect(cache.get('s2')?.ended).toBe(true);
  });
});
