import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createTestApp, HTTP_ADAPTERS, HttpAdapterName, TestApp } from '../support/app';

/*
 * Issue 15: bad input gets the same status, code, body and headers on Fastify as on Express.
 * The same raw bytes go to the service on each platform (a socket, so that headers Node's
 * client would refuse, such as control characters, reach the server), and the answers are
 * compared field by field.
 */

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that must match between the platforms (the volatile ones are left out). */
const COMPARED_HEADERS = [
  'content-type',
  'cache-control',
  'retry-after',
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'x-powered-by',
];

function decodeChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const end = body.indexOf('\r\n', offset);
    const size = parseInt(body.subarray(offset, end).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(end + 2, end + 2 + size));
    offset = end + 2 + size + 2;
  }
}

/** Sends raw bytes and reads the whole answer (the request asks the server to close). */
function rawRequest(
  origin: string,
  head: string,
  body: Buffer = Buffer.alloc(0),
): Promise<RawAnswer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const lines = raw.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const rest = raw.subarray(split + 4);
      const payload = headers['transfer-encoding'] === 'chunked' ? decodeChunked(rest) : rest;
      resolve({ status, headers, body: payload.toString('utf8') });
    });
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}

function post(path: string, headers: string[], body: Buffer | string): [string, Buffer] {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const head = [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...headers,
    ...(headers.some((h) => /^transfer-encoding:/i.test(h))
      ? []
      : [`Content-Length: ${bytes.length}`]),
    '',
    '',
  ].join('\r\n');
  return [head, bytes];
}

function get(path: string, headers: string[] = []): [string, Buffer] {
  const head = [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...headers,
    '',
    '',
  ].join('\r\n');
  return [head, Buffer.alloc(0)];
}

const JSON_TYPE = 'Content-Type: application/json';
const deep = `{"username":${'['.repeat(5000)}${']'.repeat(5000)},"password":"x"}`;
const oversize = JSON.stringify({ username: 'admin', password: 'p'.repeat(17 * 1024) });
const credentials = JSON.stringify({ username: 'nobody', password: 'wrong-password-here' });

function chunked(text: string): Buffer {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 4096) {
    const piece = bytes.subarray(i, i + 4096);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** The malformed requests of issue 15, and a few neighbours, as raw bytes. */
const CASES: [string, [string, Buffer]][] = [
  ['malformed JSON', post('/auth/login', [JSON_TYPE], '{"username":')],
  ['JSON that is not an object or array (strict)', post('/auth/login', [JSON_TYPE], '"admin"')],
  ['text/plain body', post('/auth/login', ['Content-Type: text/plain'], credentials)],
  [
    'form body',
    post(
      '/auth/login',
      ['Content-Type: application/x-www-form-urlencoded'],
      'username=a&password=b',
    ),
  ],
  ['a body without Content-Type', post('/auth/login', [], credentials)],
  [
    'application/json with a latin1 charset',
    post('/auth/login', [`${JSON_TYPE}; charset=latin1`], credentials),
  ],
  [
    'application/json in capitals',
    post('/auth/login', ['Content-Type: Application/JSON'], credentials),
  ],
  ['an empty JSON body', post('/auth/login', [JSON_TYPE], '')],
  ['oversize body (17 KiB)', post('/auth/login', [JSON_TYPE], oversize)],
  [
    'oversize chunked body',
    post('/auth/login', [JSON_TYPE, 'Transfer-Encoding: chunked'], chunked(oversize)),
  ],
  [
    'gzip-encoded JSON',
    post('/auth/login', [JSON_TYPE, 'Content-Encoding: gzip'], gzipSync(credentials)),
  ],
  [
    'an unknown Content-Encoding',
    post('/auth/login', [JSON_TYPE, 'Content-Encoding: compress'], credentials),
  ],
  ['5,000 nested arrays', post('/auth/login', [JSON_TYPE], deep)],
  [
    '__proto__ at the top',
    post('/auth/login', [JSON_TYPE], '{"__proto__":{"admin":true},"username":"a","password":"b"}'),
  ],
  [
    'constructor.prototype nested',
    post(
      '/auth/login',
      [JSON_TYPE],
      '{"username":{"constructor":{"prototype":{}}},"password":"b"}',
    ),
  ],
  [
    'an extra property',
    post('/auth/login', [JSON_TYPE], '{"username":"a","password":"b","role":"admin"}'),
  ],
  ['wrong credentials', post('/auth/login', [JSON_TYPE], credentials)],
  ['a control character in a header value', get('/auth/me', ['X-Request-Id: abc\x01def'])],
  ['a control character in a header name', get('/auth/me', ['X-Bad\x07Name: 1'])],
  ['a DEL in a header value', get('/health', ['X-Note: a\x7fb'])],
  [
    'a forwarded address that is not an IP',
    post('/auth/login', [JSON_TYPE, 'X-Forwarded-For: not-an-ip'], credentials),
  ],
  ['an unacceptable X-Request-Id', get('/auth/me', ['X-Request-Id: has spaces and ünïcode'])],
  ['no access cookie', get('/auth/me')],
  ['a garbage access cookie', get('/auth/me', ['Cookie: access_token=garbage'])],
  ['an unknown path', get('/no/such/path')],
  ['an unknown path under /auth', get('/auth/nope')],
  [
    'a cross-site login',
    post('/auth/login', [JSON_TYPE, 'Origin: https://evil.example'], credentials),
  ],
  [
    'a malformed session id',
    [
      'DELETE /auth/sessions/not-a-uuid HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      Buffer.alloc(0),
    ],
  ],
];

describe('the same answers to bad input on Express and Fastify (issue 15)', () => {
  const apps = {} as Record<HttpAdapterName, TestApp>;

  beforeAll(async () => {
    for (const adapter of HTTP_ADAPTERS) {
      apps[adapter] = await createTestApp({ TRUST_PROXY: 'loopback' }, adapter);
    }
  });

  afterAll(async () => {
    for (const adapter of HTTP_ADAPTERS) await apps[adapter]?.close();
  });

  it.each(CASES)('%s', async (_name, [head, body]) => {
    const [express, fastify] = await Promise.all(
      HTTP_ADAPTERS.map((adapter) => rawRequest(apps[adapter].origin, head, body)),
    );
    expect(fastify.status).toBe(express.status);
    expect(fastify.body).toBe(express.body);
    const pick = (answer: RawAnswer) =>
      Object.fromEntries(COMPARED_HEADERS.map((name) => [name, answer.headers[name]]));
    expect(pick(fastify)).toEqual(pick(express));
    // Every answer the application writes carries a request id; Node's own 400 does not.
    expect(fastify.headers['x-request-id'] === undefined).toBe(
      express.headers['x-request-id'] === undefined,
    );
    if (express.status >= 400 && express.body.startsWith('{')) {
      const parsed = JSON.parse(express.body) as { statusCode: number; code: string };
      expect(parsed.statusCode).toBe(express.status);
      expect(parsed.code).toEqual(expect.any(String));
    }
  });

  it('records the refused logins alike: one event per attempt, with the same type and reason', async () => {
    const events = async (adapter: HttpAdapterName) => {
      const rows = await apps[adapter].db
        .selectFrom('audit_events')
        .select(['type', 'reason', 'outcome', 'method', 'path', 'ip'])
        .where('path', '=', '/auth/login')
        .orderBy('id')
        .execute();
      return rows;
    };
    const [express, fastify] = await Promise.all(HTTP_ADAPTERS.map(events));
    expect(express.length).toBeGreaterThan(10);
    expect(fastify).toEqual(express);
  });
});
