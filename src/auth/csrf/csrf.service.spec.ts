import { expressResponses, GatehouseRequest } from '../../common';
import { AuthCookies } from '../auth-cookies';
import type { AuthModuleOptions } from '../auth.options';
import { JwtService } from '@nestjs/jwt';
import { accessTokenJwtOptions } from '../tokens/access-token.jwt-options';
import { AuthKeys } from '../tokens/auth-keys';
import { TokenService } from '../tokens/token.service';
import { CsrfService } from './csrf.service';

const options = {
  jwt: {
    secret: 'k'.repeat(16) + 'a-test-secret-of-32-bytes',
    accessTtl: 900,
    issuer: 'gatehouse',
    audience: 'gatehouse-api',
    allowBearer: false,
  },
  session: { refreshTtl: 604800, reuseGrace: 10, absoluteTtl: 2592000 },
  cookies: { secure: false },
  appOrigins: ['https://app.example.com'],
} satisfies AuthModuleOptions;

function request(
  headers: Record<string, string>,
  cookies: Record<string, string> = {},
  protocol = 'http',
): GatehouseRequest {
  return {
    headers: { host: 'api.example.com', ...headers },
    cookies,
    protocol,
  } as unknown as GatehouseRequest;
}

describe('CsrfService', () => {
  const keys = new AuthKeys(options.jwt.secret);
  const tokens = new TokenService(
    new JwtService(accessTokenJwtOptions(keys, options)),
    keys,
    options,
  );
  const csrf = new CsrfService(tokens, new AuthCookies(false, expressResponses), options);

  it.each([
    ['no Origin, no Fetch Metadata (curl)', {}, undefined],
    ['its own origin', { origin: 'http://api.example.com' }, undefined],
    ['a listed origin', { origin: 'https://app.example.com' }, undefined],
    [
      'a listed origin, cross-site',
      { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
      undefined,
    ],
    ['same-origin fetch', { 'sec-fetch-site': 'same-origin' }, undefined],
    ['a foreign origin', { origin: 'https://evil.example' }, 'foreign_origin'],
    ['its host over another scheme', { origin: 'https://api.example.com' }, 'foreign_origin'],
    ['another port', { origin: 'http://api.example.com:8080' }, 'foreign_origin'],
    ['the opaque origin', { origin: 'null' }, 'foreign_origin'],
    ['a cross-site fetch without Origin', { 'sec-fetch-site': 'cross-site' }, 'cross_site_fetch'],
    [
      'a cross-site fetch from its own origin',
      { origin: 'http://api.example.com', 'sec-fetch-site': 'cross-site' },
      'cross_site_fetch',
    ],
  ])('origin check: %s', (_case, headers, expected) => {
    expect(csrf.originRefusal(request(headers))).toBe(expected);
  });

  it('accepts the session’s token in header and cookie, and nothing else', () => {
    const token = tokens.csrfToken('sid-1');
    expect(
      csrf.tokenMatches(request({ 'x-csrf-token': token }, { csrf_token: token }), 'sid-1'),
    ).toBe(true);
    expect(
      csrf.tokenMatches(request({ 'x-csrf-token': token }, { csrf_token: token }), 'sid-2'),
    ).toBe(false);
    expect(csrf.tokenMatches(request({}, { csrf_token: token }), 'sid-1')).toBe(false);
    expect(csrf.tokenMatches(request({ 'x-csrf-token': token }), 'sid-1')).toBe(false);
    expect(
      csrf.tokenMatches(request({ 'x-csrf-token': 'planted' }, { csrf_token: 'planted' }), 'sid-1'),
    ).toBe(false);
  });
});
