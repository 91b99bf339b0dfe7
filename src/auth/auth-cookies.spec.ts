import type { Request, Response } from 'express';
import { AuthCookies } from './auth-cookies';

function fakeResponse(): { response: Response; headers: string[] } {
  const headers: string[] = [];
  const response = {
    append: (name: string, value: string[]) => {
      expect(name).toBe('Set-Cookie');
      headers.push(...value);
    },
  } as unknown as Response;
  return { response, headers };
}

const values = {
  accessToken: 'a.b.c',
  accessMaxAge: 900,
  refreshToken: 'r',
  refreshMaxAge: 604800,
  csrfToken: 'c',
};

describe('AuthCookies', () => {
  it('writes the insecure-mode cookies of API.md', () => {
    const { response, headers } = fakeResponse();
    new AuthCookies(false).setSession(response, values);
    expect(headers).toEqual([
      'access_token=a.b.c; Max-Age=900; Path=/; HttpOnly; SameSite=Lax',
      'refresh_token=r; Max-Age=604800; Path=/auth; HttpOnly; SameSite=Strict',
      'csrf_token=c; Max-Age=604800; Path=/; SameSite=Lax',
    ]);
  });

  it('writes prefixed Secure cookies in secure mode, and clears them with the same flags', () => {
    const cookies = new AuthCookies(true);
    const set = fakeResponse();
    cookies.setSession(set.response, values);
    expect(set.headers).toEqual([
      '__Host-access_token=a.b.c; Max-Age=900; Path=/; HttpOnly; Secure; SameSite=Lax',
      '__Secure-refresh_token=r; Max-Age=604800; Path=/auth; HttpOnly; Secure; SameSite=Strict',
      '__Host-csrf_token=c; Max-Age=604800; Path=/; Secure; SameSite=Lax',
    ]);
    const cleared = fakeResponse();
    cookies.clearSession(cleared.response);
    expect(cleared.headers).toEqual([
      '__Host-access_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      '__Secure-refresh_token=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict',
      '__Host-csrf_token=; Max-Age=0; Path=/; Secure; SameSite=Lax',
    ]);
    for (const header of [...set.headers, ...cleared.headers])
      expect(header).not.toContain('Domain');
  });

  it('reads only its own names', () => {
    const request = {
      cookies: { access_token: 'plain', '__Host-access_token': 'prefixed', csrf_token: '' },
    } as unknown as Request;
    expect(new AuthCookies(true).accessToken(request)).toBe('prefixed');
    expect(new AuthCookies(false).accessToken(request)).toBe('plain');
    expect(new AuthCookies(false).csrfToken(request)).toBeUndefined();
  });
});
