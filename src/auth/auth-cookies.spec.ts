import {
  expressResponses,
  fastifyResponses,
  GatehouseRequest,
  GatehouseResponse,
  HttpResponseWriter,
} from '../common';
import { AuthCookies } from './auth-cookies';

/** An Express response: `append('Set-Cookie', list)` adds to what is set. */
function fakeResponse(): { response: GatehouseResponse; headers: string[] } {
  const headers: string[] = [];
  const response = {
    append: (name: string, value: string[]) => {
      expect(name).toBe('Set-Cookie');
      headers.push(...value);
    },
  };
  return { response, headers };
}

/** A Fastify reply: `header('set-cookie', list)` adds to what is set. */
function fakeReply(): { response: GatehouseResponse; headers: string[] } {
  const headers: string[] = [];
  const response = {
    header(name: string, value: string[]) {
      expect(name).toBe('set-cookie');
      headers.push(...value);
      return response;
    },
  };
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
    new AuthCookies(false, expressResponses).setSession(response, values);
    expect(headers).toEqual([
      'access_token=a.b.c; Max-Age=900; Path=/; HttpOnly; SameSite=Lax',
      'refresh_token=r; Max-Age=604800; Path=/auth; HttpOnly; SameSite=Strict',
      'csrf_token=c; Max-Age=604800; Path=/; SameSite=Lax',
    ]);
  });

  it('writes prefixed Secure cookies in secure mode, and clears them with the same flags', () => {
    const cookies = new AuthCookies(true, expressResponses);
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
    } as unknown as GatehouseRequest;
    expect(new AuthCookies(true, expressResponses).accessToken(request)).toBe('prefixed');
    expect(new AuthCookies(false, expressResponses).accessToken(request)).toBe('plain');
    expect(new AuthCookies(false, expressResponses).csrfToken(request)).toBeUndefined();
  });

  it('reads the Cookie header when no cookie parser ran (a host route)', () => {
    const request = {
      headers: { cookie: 'other=1; access_token=a%2Eb; access_token=second' },
    } as unknown as GatehouseRequest;
    expect(new AuthCookies(false, fastifyResponses).accessToken(request)).toBe('a.b');
  });

  it.each<[string, HttpResponseWriter, typeof fakeResponse]>([
    ['Express', expressResponses, fakeResponse],
    ['Fastify', fastifyResponses, fakeReply],
  ])('writes the same Set-Cookie lines on %s', (_name, writer, fake) => {
    const written = fake();
    new AuthCookies(false, writer).setSession(written.response, values);
    new AuthCookies(false, writer).clearSession(written.response);
    expect(written.headers).toHaveLength(6);
    expect(written.headers[0]).toBe(
      'access_token=a.b.c; Max-Age=900; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(written.headers[3]).toBe('access_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
  });
});
