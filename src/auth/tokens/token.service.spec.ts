import { Logger } from '@nestjs/common';
import { GatehouseHarness, startGatehouse } from '../../../test/support/gatehouse-module';
import { TokenService } from './token.service';

/** The parts of a compact JWS, decoded without any library's checks. */
function decodeJws(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  const json = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: json(header), payload: json(payload) };
}

const SESSION = '0f8fad5b-d9cb-469f-a165-70867728950e';
const NOW = Date.parse('2027-03-01T12:00:00.000Z');

describe('TokenService', () => {
  let harness: GatehouseHarness;
  let tokens: TokenService;

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    // The TokenService GatehouseModule wires (keys from JWT_SECRET); no database work here.
    harness = await startGatehouse('sqlite', { JWT_ACCESS_TTL: '900' });
    tokens = harness.moduleRef.get(TokenService, { strict: false });
  });

  afterAll(async () => {
    await harness?.close();
    jest.restoreAllMocks();
  });

  const subject = (sessionExpiresAt: number) => ({
    userId: 'u1',
    username: 'Ann',
    roles: ['user' as const],
    sessionId: SESSION,
    sessionExpiresAt,
  });

  it('issues an RFC 9068 access token: HS256 pinned, typ at+jwt, issuer, audience, a fresh jti', () => {
    const first = tokens.issueAccessToken(subject(NOW + 86_400_000), NOW);
    const second = tokens.issueAccessToken(subject(NOW + 86_400_000), NOW);
    const { header, payload } = decodeJws(first.token);
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: 'u1',
      sid: SESSION,
      username: 'Ann',
      roles: ['user'],
      iss: 'gatehouse',
      iat: NOW / 1000,
      exp: NOW / 1000 + 900,
    });
    expect(typeof payload.aud).toBe('string');
    expect(payload.jti).not.toEqual(decodeJws(second.token).payload.jti);
    expect(first.maxAge).toBe(900);
  });

  it('never lets an access token outlive its session, and lives at least a second', () => {
    const near = tokens.issueAccessToken(subject(NOW + 120_500), NOW);
    expect(near.maxAge).toBe(120);
    expect(decodeJws(near.token).payload.exp).toBe(NOW / 1000 + 120);
    expect(tokens.issueAccessToken(subject(NOW - 5000), NOW).maxAge).toBe(1);
  });

  it('makes refresh tokens only the server can compute, one per generation', () => {
    const salt = tokens.newRefreshSalt();
    const token = tokens.refreshToken(SESSION, 3, salt);
    expect(tokens.parseRefreshToken(token)).toEqual({ sessionId: SESSION, generation: 3 });
    expect(tokens.refreshTokenIsAuthentic(token, SESSION, 3, salt)).toBe(true);
    // Another generation, another salt, or a changed MAC: not authentic.
    expect(tokens.refreshToken(SESSION, 4, salt)).not.toBe(token);
    expect(tokens.refreshTokenIsAuthentic(token, SESSION, 4, salt)).toBe(false);
    expect(tokens.refreshTokenIsAuthentic(token, SESSION, 3, tokens.newRefreshSalt())).toBe(false);
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(tokens.refreshTokenIsAuthentic(tampered, SESSION, 3, salt)).toBe(false);
    // Anything not of the form sid.generation.mac is no refresh token at all.
    for (const garbage of ['', 'x.1.y', `${SESSION}.1`, `${SESSION}.-1.${'a'.repeat(43)}`]) {
      expect(tokens.parseRefreshToken(garbage)).toBeUndefined();
    }
  });

  it('stores a hash of the refresh token, never the token', () => {
    const token = tokens.refreshToken(SESSION, 0, tokens.newRefreshSalt());
    const hash = tokens.hashRefreshToken(token);
    expect(hash).toBe(tokens.hashRefreshToken(token));
    expect(hash).not.toContain(token.split('.')[2]);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('binds the CSRF token to the session', () => {
    const csrf = tokens.csrfToken(SESSION);
    expect(tokens.csrfToken(SESSION)).toBe(csrf);
    expect(tokens.csrfToken('1f8fad5b-d9cb-469f-a165-70867728950e')).not.toBe(csrf);
  });
});
