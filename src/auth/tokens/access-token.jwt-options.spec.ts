import { Injectable, Module } from '@nestjs/common';
import { JwtModuleOptions, JwtService } from '@nestjs/jwt';
import { Test, TestingModule } from '@nestjs/testing';
import type { Jwt } from 'jsonwebtoken';
import { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGatehouseOptions } from '../../../test/support/gatehouse-options';
import { GatehouseModule } from '../../gatehouse';
import { TokenService } from './token.service';

/** A host's own provider that injects the JwtService Gatehouse configures. */
@Injectable()
class HostTokenReader {
  constructor(readonly jwt: JwtService) {}
}

describe('JwtService from @nestjs/jwt, as GatehouseModule configures it', () => {
  let dir: string;
  let moduleRef: TestingModule;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-jwt-'));
    const options = testGatehouseOptions(dir, {
      JWT_ISSUER: 'issuer-under-test',
      JWT_AUDIENCE: 'audience-under-test',
    });
    const gatehouse = GatehouseModule.forRoot(options);
    @Module({ imports: [gatehouse], providers: [HostTokenReader] })
    class HostModule {}
    moduleRef = await Test.createTestingModule({ imports: [HostModule] }).compile();
  });

  afterAll(async () => {
    await moduleRef.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hostJwt = () => moduleRef.get(HostTokenReader, { strict: false }).jwt;
  const issue = () =>
    moduleRef.get(TokenService, { strict: false }).issueAccessToken({
      userId: 'u-1',
      username: 'alice',
      roles: ['user'],
      sessionId: 's-1',
      sessionExpiresAt: Date.now() + 3_600_000,
    }).token;

  it('is injectable by a host module and verifies the access tokens Gatehouse issues', () => {
    const decoded = hostJwt().verify<Jwt>(issue());
    expect(decoded.header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(decoded.payload).toMatchObject({
      sub: 'u-1',
      sid: 's-1',
      iss: 'issuer-under-test',
      aud: 'audience-under-test',
    });
  });

  it('keeps the key as a KeyObject, made once (the guard’s throughput depends on it)', () => {
    // JwtService keeps its module options privately; this is the only way to see the key.
    const { secret } = (hostJwt() as unknown as { options: JwtModuleOptions }).options;
    expect(secret).toBeInstanceOf(KeyObject);
    expect((secret as KeyObject).type).toBe('secret');
  });

  it('pins the algorithm, issuer and audience for every verification', () => {
    const jwt = hostJwt();
    const claims = { sub: 'u-1', exp: Math.floor(Date.now() / 1000) + 60 };
    // The right key, another HMAC algorithm: refused (RFC 8725 §3.1).
    const hs512 = jwt.sign(claims, {
      algorithm: 'HS512',
      header: { alg: 'HS512', typ: 'at+jwt' },
    });
    expect(() => jwt.verify<Jwt>(hs512)).toThrow(/invalid algorithm/);
    expect(() => jwt.verify<Jwt>(jwt.sign(claims, { issuer: 'someone-else' }))).toThrow(
      /jwt issuer invalid/,
    );
    expect(() => jwt.verify<Jwt>(jwt.sign(claims, { audience: 'another-api' }))).toThrow(
      /jwt audience invalid/,
    );
  });
});
