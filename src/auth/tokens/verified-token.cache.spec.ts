import type { Jwt } from 'jsonwebtoken';
import { VerifiedTokenCache } from './verified-token.cache';

const NOW = 1_800_000_000_000;

function decoded(exp: number | undefined): Jwt {
  return { header: { alg: 'HS256', typ: 'at+jwt' }, payload: { sub: 'u1', exp }, signature: 'sig' };
}

describe('VerifiedTokenCache', () => {
  it('answers only the very same token, and only until its exp', () => {
    const cache = new VerifiedTokenCache();
    const token = 'aaa.bbb.signature1';
    const entry = decoded(NOW / 1000 + 60);
    cache.remember(token, entry, NOW);
    expect(cache.get(token, NOW)).toBe(entry);
    // Same signature, another header or payload: not a hit.
    expect(cache.get('aaa.ccc.signature1', NOW)).toBeUndefined();
    expect(cache.get(token, NOW + 60_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never stores a token without exp or already expired', () => {
    const cache = new VerifiedTokenCache();
    cache.remember('a.b.c', decoded(undefined), NOW);
    cache.remember('a.b.d', decoded(NOW / 1000 - 1), NOW);
    expect(cache.size).toBe(0);
  });

  it('stays within its bound, dropping the oldest entry first', () => {
    const cache = new VerifiedTokenCache(2);
    for (const signature of ['s1', 's2', 's3'])
      cache.remember(`h.p.${signature}`, decoded(NOW / 1000 + 60), NOW);
    expect(cache.size).toBe(2);
    expect(cache.get('h.p.s1', NOW)).toBeUndefined();
    expect(cache.get('h.p.s3', NOW)).toBeDefined();
  });
});
