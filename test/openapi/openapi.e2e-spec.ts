import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ServerProcess, ensureBuilt, isolatedEnv, startServer } from '../support/process';

/**
 * Issue 12 item 4: the committed docs/openapi.json is what the code produces (drift check),
 * it describes every operation of API.md with its success schema and error codes, and a
 * client generated from it type-checks and works against the real server.
 */
const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');
const BIN = join(ROOT, 'node_modules', '.bin');

interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  security?: Array<Record<string, string[]>>;
  responses: Record<
    string,
    { content?: { 'application/json'?: { schema?: Record<string, unknown> } } }
  >;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

function readDocument(): Document {
  return JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Document;
}

function operations(document: Document): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method, path, op })),
  );
}

function errorCodes(op: Operation, status: number): string[] {
  const schema = op.responses[String(status)]?.content?.['application/json']?.schema as
    { allOf?: Array<{ $ref?: string; properties?: { code?: { enum?: string[] } } }> } | undefined;
  expect(schema?.allOf?.[0]?.$ref).toBe('#/components/schemas/ApiErrorBody');
  return schema?.allOf?.[1]?.properties?.code?.enum ?? [];
}

const TOKEN = ['TOKEN_MISSING', 'TOKEN_EXPIRED', 'TOKEN_INVALID', 'SESSION_REVOKED'];
const CSRF = ['CSRF_TOKEN', 'CSRF_ORIGIN'];
/** API.md, operation by operation: method and path, and the error codes it lists per status. */
const CONTRACT: Record<string, { route: string; errors: Record<number, string[]> }> = {
  login: {
    route: 'post /auth/login',
    errors: {
      400: ['VALIDATION_FAILED', 'MALFORMED_JSON', 'BAD_CLIENT_ADDRESS'],
      401: ['INVALID_CREDENTIALS'],
      403: ['CSRF_ORIGIN'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
      429: ['TOO_MANY_ATTEMPTS', 'RATE_LIMITED'],
      503: ['LOGIN_BUSY'],
    },
  },
  refresh: {
    route: 'post /auth/refresh',
    errors: { 401: ['REFRESH_INVALID', 'REFRESH_REUSED'], 403: CSRF },
  },
  logout: { route: 'post /auth/logout', errors: { 401: TOKEN, 403: CSRF } },
  logoutAll: { route: 'post /auth/logout-all', errors: { 401: TOKEN, 403: CSRF } },
  getMe: { route: 'get /auth/me', errors: { 401: TOKEN, 429: ['RATE_LIMITED'] } },
  listSessions: { route: 'get /auth/sessions', errors: { 401: TOKEN } },
  deleteSession: {
    route: 'delete /auth/sessions/{id}',
    errors: { 401: TOKEN, 403: CSRF, 404: ['NOT_FOUND'] },
  },
  changePassword: {
    route: 'post /auth/password',
    errors: {
      400: ['PASSWORD_POLICY', 'VALIDATION_FAILED'],
      401: [...TOKEN, 'INVALID_CREDENTIALS'],
      403: CSRF,
      429: ['TOO_MANY_ATTEMPTS'],
    },
  },
  createUser: {
    route: 'post /users',
    errors: {
      400: ['PASSWORD_POLICY', 'VALIDATION_FAILED'],
      401: TOKEN,
      403: [...CSRF, 'FORBIDDEN'],
      409: ['USERNAME_TAKEN'],
    },
  },
  listUsers: { route: 'get /users', errors: { 400: ['VALIDATION_FAILED'], 403: ['FORBIDDEN'] } },
  updateUser: {
    route: 'patch /users/{id}',
    errors: { 403: [...CSRF, 'FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['LAST_ADMIN'] },
  },
  unlockUser: {
    route: 'post /users/{id}/unlock',
    errors: { 403: [...CSRF, 'FORBIDDEN'], 404: ['NOT_FOUND'] },
  },
  listAuditEvents: {
    route: 'get /audit/events',
    errors: { 400: ['VALIDATION_FAILED'], 401: TOKEN, 403: ['FORBIDDEN'] },
  },
  listReviews: { route: 'get /audit/reviews', errors: { 403: ['FORBIDDEN'] } },
  getReview: { route: 'get /audit/reviews/{id}', errors: { 404: ['NOT_FOUND'] } },
  runReview: {
    route: 'post /audit/reviews',
    errors: { 400: ['VALIDATION_FAILED'], 403: [...CSRF, 'FORBIDDEN'], 409: ['REVIEW_RUNNING'] },
  },
  listBlocks: { route: 'get /audit/blocks', errors: { 403: ['FORBIDDEN'] } },
  liftBlock: { route: 'delete /audit/blocks/{id}', errors: { 403: CSRF, 404: ['NOT_FOUND'] } },
  getIntegrity: { route: 'get /audit/integrity', errors: { 401: TOKEN, 403: ['FORBIDDEN'] } },
  getAuditStats: {
    route: 'get /audit/stats',
    errors: { 400: ['VALIDATION_FAILED'], 401: TOKEN, 403: ['FORBIDDEN'] },
  },
  health: { route: 'get /health', errors: {} },
  ready: { route: 'get /health/ready', errors: {} },
};

describe('OpenAPI document (docs/openapi.json)', () => {
  beforeAll(() => ensureBuilt());

  it('is what the code produces (npm run docs:openapi), built without a server or database', () => {
    const work = mkdtempSync(join(tmpdir(), 'gh-openapi-check-'));
    try {
      const result = spawnSync(
        process.execPath,
        [join(ROOT, 'dist', 'openapi', 'write-openapi.js'), '--check'],
        // A folder of its own: the script must create nothing there (no data/, no logs/).
        { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(spawnSync('ls', ['-A', work], { encoding: 'utf8' }).stdout).toBe('');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('has one short operationId per operation of API.md, with its route', () => {
    const document = readDocument();
    const ids = operations(document).map(({ method, path, op }) => [
      op.operationId,
      `${method} ${path}`,
    ]);
    expect(Object.fromEntries(ids)).toEqual(
      Object.fromEntries(Object.entries(CONTRACT).map(([id, { route }]) => [id, route])),
    );
    for (const [id] of ids) expect(id).toMatch(/^[a-z][A-Za-z]*$/);
  });

  it('types every success answer and lists each error code of the contract', () => {
    const document = readDocument();
    for (const { op } of operations(document)) {
      const contract = CONTRACT[op.operationId!];
      const success = Object.keys(op.responses).filter((status) => /^2/.test(status));
      expect(success).toHaveLength(1);
      if (success[0] !== '204') {
        const schema = op.responses[success[0]].content?.['application/json']?.schema;
        expect({ id: op.operationId, ref: schema?.$ref }).toEqual({
          id: op.operationId,
          ref: expect.stringMatching(/^#\/components\/schemas\/\w+$/),
        });
      }
      for (const [status, codes] of Object.entries(contract.errors)) {
        expect({ id: op.operationId, status, codes: errorCodes(op, Number(status)) }).toEqual({
          id: op.operationId,
          status,
          codes: expect.arrayContaining(codes),
        });
      }
    }
    expect(document.components.schemas.ApiErrorBody).toEqual(
      expect.objectContaining({ required: ['statusCode', 'code', 'message'] }),
    );
    const lists = ['listSessions', 'listUsers', 'listAuditEvents', 'listReviews', 'listBlocks'];
    for (const { op } of operations(document).filter(({ op }) => lists.includes(op.operationId!))) {
      const ref = op.responses['200'].content!['application/json']!.schema!.$ref as string;
      const page = document.components.schemas[ref.split('/').pop()!] as {
        required: string[];
        properties: { items: { type: string }; nextCursor: { type: string; nullable: boolean } };
      };
      expect(page.required).toEqual(['items', 'nextCursor']);
      expect(page.properties.items.type).toBe('array');
      expect(page.properties.nextCursor).toMatchObject({ type: 'string', nullable: true });
    }
  });

  it('declares both cookies and the X-CSRF-Token header on every unsafe operation but login', () => {
    const document = readDocument();
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual([
      'access_token',
      'refresh_token',
    ]);
    for (const { method, op } of operations(document)) {
      const csrf = op.parameters?.find((parameter) => parameter.name === 'X-CSRF-Token');
      const unsafe = method !== 'get' && op.operationId !== 'login';
      expect({
        id: op.operationId,
        csrf: csrf && { in: csrf.in, required: csrf.required },
      }).toEqual({
        id: op.operationId,
        csrf: unsafe ? { in: 'header', required: true } : undefined,
      });
      const expected =
        op.operationId === 'refresh'
          ? [{ refresh_token: [] }]
          : ['login', 'health', 'ready'].includes(op.operationId!)
            ? undefined
            : [{ access_token: [] }];
      expect({ id: op.operationId, security: op.security }).toEqual({
        id: op.operationId,
        security: expected,
      });
    }
  });
});

describe('a client generated with openapi-typescript + openapi-fetch', () => {
  const ADMIN = { username: 'openapi-admin', password: 'generated client passphrase 12' };
  let server: ServerProcess;
  let work: string;

  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'gh-openapi-client-'));
    server = await startServer(
      isolatedEnv({
        BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      }),
    );
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('is served at /docs-json exactly as committed', async () => {
    const served = (await (await fetch(`${server.url}/docs-json`)).json()) as Document;
    expect(served).toEqual(readDocument());
  });

  it('type-checks (strict, no any/never/{} in the auth types) and logs in, reads /auth/me, refreshes with the CSRF header and logs out', () => {
    const generate = spawnSync(
      join(BIN, 'openapi-typescript'),
      [OPENAPI_FILE, '--output', join(work, 'schema.d.ts')],
      { encoding: 'utf8' },
    );
    expect(generate.status).toBe(0);
    for (const file of ['program.ts', 'cookie-fetch.ts']) {
      copyFileSync(join(__dirname, 'client', file), join(work, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
    writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          noImplicitAny: true,
          target: 'ES2023',
          lib: ['ES2023', 'DOM'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          outDir: 'out',
          skipLibCheck: false,
        },
        include: ['program.ts', 'cookie-fetch.ts', 'schema.d.ts'],
      }),
    );
    const tsc = spawnSync(join(BIN, 'tsc'), ['-p', join(work, 'tsconfig.json')], {
      cwd: work,
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);

    const run = spawnSync(
      process.execPath,
      [join(work, 'out', 'program.js'), server.url, ADMIN.username, ADMIN.password],
      { cwd: work, encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stderr).toBe('');
    const outcome = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
    expect(outcome).toEqual({
      wrongPassword: { status: 401, code: 'INVALID_CREDENTIALS' },
      login: {
        status: 200,
        user: { id: expect.any(String), username: ADMIN.username, roles: ['admin'] },
        cookies: ['access_token', 'csrf_token', 'refresh_token'],
      },
      me: { status: 200, username: ADMIN.username },
      refreshWithoutCsrf: { status: 403, code: 'CSRF_TOKEN' },
      refresh: { status: 200, accessRotated: true },
      meAfterRefresh: { status: 200, id: (outcome.login.user as { id: string }).id },
      logout: { status: 204, cookies: [] },
      meAfterLogout: { status: 401, code: 'TOKEN_MISSING' },
    });
  });
});
