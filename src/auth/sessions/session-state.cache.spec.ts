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
