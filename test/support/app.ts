import type { INestApplication } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { configureApp, createServiceApp } from '../../src/app.setup';
import type { Role } from '../../src/common';
import { AppConfig, loadAppConfig } from '../../src/config';
import { DB, KYSELY } from '../../src/database';
import { User, UsersService } from '../../src/users';

/** The HTTP platforms the service runs on; suites that talk HTTP run on each (`describe.each`). */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'admin-test-password-7f3k2';

/** Lockout thresholds no suite reaches by accident: for suites about answers, not throttling. */
export const LENIENT_LOGIN_THROTTLE = {
  LOGIN_PAIR_MAX_FAILURES: '100',
  LOGIN_USER_MAX_FAILURES: '100',
  LOGIN_IP_MAX_FAILURES: '1000',
};

/** The cookies and CSRF token of one logged-in client. */
export interface LoginResult {
  status: number;
  body: Record<string, unknown>;
  /** `name=value` pairs to send back in a `Cookie` header. */
  cookies: string[];
  /** Every cookie of the response, by name. */
  jar: Record<string, string>;
  csrf: string;
  setCookie: string[];
  response: request.Response;
}

export interface TestApp {
  app: INestApplication;
  server: Server;
  /** A supertest client of the running server (no cookie jar: send cookies explicitly). */
  http: ReturnType<typeof request>;
  config: AppConfig;
  db: Kysely<DB>;
  /** The base URL, e.g. `http://127.0.0.1:40123`, which is the server's own origin. */
  origin: string;
  close(): Promise<void>;
  login(username: string, password: string): Promise<LoginResult>;
  createUser(username: string, password: string, roles?: Role[]): Promise<User>;
}

/** `name=value` of each Set-Cookie header, for a `Cookie` header, and the values by name. */
export function parseSetCookies(setCookie: string[] | string | undefined): {
  cookies: string[];
  jar: Record<string, string>;
} {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  const jar: Record<string, string> = {};
  for (const header of list) {
    const [pair] = header.split(';');
    const index = pair.indexOf('=');
    jar[pair.slice(0, index)] = pair.slice(index + 1);
  }
  const cookies = Object.entries(jar)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}=${value}`);
  return { cookies, jar };
}

/**
 * Boots the real AppModule with `configureApp` on a fresh SQLite file in a fresh data dir,
 * listening on 127.0.0.1 (random port), on `adapter` (Express unless told). `overrides` are
 * environment variables. The first admin is `admin` / ADMIN_PASSWORD.
 */
export async function createTestApp(
  overrides: Record<string, string> = {},
  adapter: HttpAdapterName = 'express',
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const config = loadAppConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'gatehouse.db')}`,
    AUDIT_LOG_DIR: join(dataDir, 'audit'),
    REPORT_DIR: join(dataDir, 'reports'),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
    BOOTSTRAP_ADMIN_USERNAME: ADMIN_USERNAME,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    REVIEW_ENABLED: 'false',
    LOG_LEVEL: 'error',
    HTTP_ADAPTER: adapter,
    ...overrides,
  });
  const app = await createServiceApp(config, { logger: ['error'] });
  await configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  const origin = `http://127.0.0.1:${address.port}`;
  const http = request(server);

  const login = async (username: string, password: string): Promise<LoginResult> => {
    const response = await http.post('/auth/login').send({ username, password });
    const setCookie = (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
    const { cookies, jar } = parseSetCookies(setCookie);
    const csrfName = Object.keys(jar).find((name) => name.endsWith('csrf_token')) ?? 'csrf_token';
    return {
      status: response.status,
      body: response.body as Record<string, unknown>,
      cookies,
      jar,
      csrf: jar[csrfName] ?? '',
      setCookie,
      response,
    };
  };

  return {
    app,
    server,
    http,
    config,
    db: app.get<Kysely<DB>>(KYSELY),
    origin,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    login,
    createUser: (username, password, roles = ['user']) =>
      app.get(UsersService).create({ username, password, roles }, { audit: false }),
  };
}
