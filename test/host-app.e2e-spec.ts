import { Controller, Get, INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ReviewDetector } from '../src/audit/review/review-detector.decorator';
import type { DetectorPass, ReviewDetectorRule } from '../src/audit/review/review.types';
import { Public, Roles } from '../src/common';
import { loadAppConfig } from '../src/config';
import { gatehouseOptionsFrom } from '../src/core.modules';
import { DB, KYSELY } from '../src/database';
import { GatehouseModule } from '../src/gatehouse';
import { UsersRepository } from '../src/users';
import { InMemoryUsersRepository } from '../src/users/testing/in-memory-users.repository';
import { HTTP_ADAPTERS, parseSetCookies } from './support/app';

const ADMIN_PASSWORD = 'host-admin-password-9x2k4';

/** The host's own routes: Gatehouse's guard applies (global), the host's pipes are its own. */
@Controller('host')
class HostController {
  @Public()
  @Get('hello')
  hello(): { hello: string } {
    return { hello: 'world' };
  }

  @Get('private')
  private(): { ok: true } {
    return { ok: true };
  }

  @Roles('admin')
  @Get('admins')
  admins(): { ok: true } {
    return { ok: true };
  }
}

@Injectable()
@ReviewDetector()
class EveryLoginDetector implements ReviewDetectorRule {
  readonly rule = 'host-every-login';
  readonly description = 'Every successful login (a host detector)';
  start(): DetectorPass {
    let count = 0;
    let ts = '';
    return {
      observe: (event) => {
        if (event.type === 'authn_login_success') {
          count += 1;
          ts = event.ts;
        }
      },
      findings: () =>
        count === 0
          ? []
          : [
              {
                rule: this.rule,
                severity: 'low',
                subjectKind: 'ip',
                subject: '127.0.0.1',
                evidence: { logins: count },
                firstSeen: ts,
                lastSeen: ts,
                sampleEventIds: [],
              },
            ],
    };
  }
}

/**
 * A host application as a team writes it: GatehouseModule with its own user store and
 * detector, and `NestFactory.create(HostModule)` + `listen` with no other line (no
 * configureApp: cookies, validation, errors and request context come from the modules), on
 * Express and on `new FastifyAdapter()`.
 */
describe.each(HTTP_ADAPTERS)('Gatehouse in a host application on %s (e2e)', (adapter) => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-host-'));
    const config = loadAppConfig({
      NODE_ENV: 'test',
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'host.db')}`,
      AUDIT_LOG_DIR: join(dir, 'audit'),
      REPORT_DIR: join(dir, 'reports'),
      JWT_SECRET: randomBytes(48).toString('base64url'),
      AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
      BOOTSTRAP_ADMIN_USERNAME: 'admin',
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ARGON2_MEMORY_KIB: '19456',
      ARGON2_ITERATIONS: '2',
    });
    @Module({
      imports: [
        GatehouseModule.forRoot({
          ...gatehouseOptionsFrom(config, 'server'),
          usersStore: InMemoryUsersRepository,
          detectors: [EveryLoginDetector],
        }),
      ],
      controllers: [HostController],
    })
    class HostModule {}
    app =
      adapter === 'fastify'
        ? await NestFactory.create(HostModule, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(HostModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    http = request(app.getHttpServer() as Server);
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = async (username: string, password: string) => {
    const response = await http.post('/auth/login').send({ username, password });
    const { cookies, jar } = parseSetCookies(response.headers['set-cookie']);
    return { response, cookies, csrf: jar['csrf_token'] ?? '' };
  };

  it('logs in against the host user store, then reads its cookies on later requests', async () => {
    expect(app.get(UsersRepository, { strict: false })).toBeInstanceOf(InMemoryUsersRepository);
    const admin = await login('admin', ADMIN_PASSWORD);
    expect(admin.response.status).toBe(200);
    await http.get('/auth/me').set('Cookie', admin.cookies).expect(200);
    const refreshed = await http
      .post('/auth/refresh')
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf);
    expect(refreshed.status).toBe(200);
  });

  it('guards the host routes: public 200, guarded 401 then 200, role 403 then 200', async () => {
    await http.get('/host/hello').expect(200, { hello: 'world' });
    expect((await http.get('/host/private')).body.code).toBe('TOKEN_MISSING');
    const admin = await login('admin', ADMIN_PASSWORD);
    await http.get('/host/private').set('Cookie', admin.cookies).expect(200);
    await http.get('/host/admins').set('Cookie', admin.cookies).expect(200);
    const created = await http
      .post('/users')
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf)
      .send({ username: 'carol', password: 'carol-password-long-enough' });
    expect(created.status).toBe(201);
    const carol = await login('carol', 'carol-password-long-enough');
    await http.get('/host/private').set('Cookie', carol.cookies).expect(200);
    await http.get('/host/admins').set('Cookie', carol.cookies).expect(403);
  });

  it('validates and formats errors on Gatehouse routes without any global pipe or filter', async () => {
    const bad = await http.post('/auth/login').send({ username: 'admin', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(bad.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('records the real client IP and method in the audit event', async () => {
    await http.post('/auth/login').set('X-Request-Id', 'host-audit-1').send({
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    const db = app.get<Kysely<DB>>(KYSELY, { strict: false });
    const row = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('request_id', '=', 'host-audit-1')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      type: 'authn_login_success',
      ip: '127.0.0.1',
      method: 'POST',
      path: '/auth/login',
    });
  });

  it('ends the sessions of a user the admin disables (host store)', async () => {
    const admin = await login('admin', ADMIN_PASSWORD);
    const made = await http
      .post('/users')
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf)
      .send({ username: 'dave', password: 'dave-password-long-enough' });
    const dave = await login('dave', 'dave-password-long-enough');
    await http.get('/auth/me').set('Cookie', dave.cookies).expect(200);
    await http
      .patch(`/users/${(made.body as { id: string }).id}`)
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf)
      .send({ disabled: true })
      .expect(200);
    const after = await http.get('/auth/me').set('Cookie', dave.cookies);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('SESSION_REVOKED');
  });

  it("runs the host's detector in POST /audit/reviews", async () => {
    const admin = await login('admin', ADMIN_PASSWORD);
    const run = await http
      .post('/audit/reviews')
      .set('Cookie', admin.cookies)
      .set('X-CSRF-Token', admin.csrf)
      .send({ dryRun: true });
    expect(run.status).toBe(201);
    const rules = (run.body as { findings: { rule: string }[] }).findings.map((f) => f.rule);
    expect(rules).toContain('host-every-login');
  });

  it('refuses every admin route to an anonymous request', async () => {
    const routes: [string, string][] = [
      ['get', '/users'],
      ['post', '/users'],
      ['patch', '/users/x'],
      ['post', '/users/x/unlock'],
      ['get', '/audit/events'],
      ['get', '/audit/reviews'],
      ['get', '/audit/reviews/x'],
      ['post', '/audit/reviews'],
      ['get', '/audit/blocks'],
      ['delete', '/audit/blocks/x'],
      ['get', '/audit/integrity'],
    ];
    for (const [method, path] of routes) {
      const response = await (http as unknown as Record<string, (p: string) => request.Test>)[
        method
      ](path);
      expect([401, 403]).toContain(response.status);
    }
  });
});
