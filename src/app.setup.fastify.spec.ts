import { gzipSync } from 'node:zlib';
import { answerClientErrorAsNode, fastifyTrustProxy, parseJsonBody } from './app.setup.fastify';

const JSON_TYPE = { 'content-type': 'application/json' };
const LIMIT = 16 * 1024;

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('the Fastify pipeline pieces', () => {
  it('trusts the first n hops for a hop count, as Express does (Fastify 5 would trust none)', () => {
    const trust = fastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => trust('10.0.0.1', hop))).toEqual([true, true, false]);
    expect(fastifyTrustProxy(['loopback'])).toEqual(['loopback']);
    expect(fastifyTrustProxy(false)).toBe(false);
  });

  it('parses JSON as express.json({ strict: true }) does', () => {
    expect(parseJsonBody(Buffer.from('{"a":[1]}'), JSON_TYPE, LIMIT)).toEqual({ a: [1] });
    expect(parseJsonBody(Buffer.from(''), JSON_TYPE, LIMIT)).toEqual({});
    const parsed = parseJsonBody(Buffer.from('{"__proto__":{"x":1}}'), JSON_TYPE, LIMIT) as object;
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(codeOf(() => parseJsonBody(Buffer.from('"text"'), JSON_TYPE, LIMIT))).toBe(
      'MALFORMED_JSON',
    );
    expect(codeOf(() => parseJsonBody(Buffer.from('{"a":'), JSON_TYPE, LIMIT))).toBe(
      'MALFORMED_JSON',
    );
    const latin1 = { 'content-type': 'application/json; charset=latin1' };
    expect(codeOf(() => parseJsonBody(Buffer.from('{}'), latin1, LIMIT))).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('inflates gzip within the limit, refuses past it and unknown encodings', () => {
    const gzip = { ...JSON_TYPE, 'content-encoding': 'gzip' };
    expect(parseJsonBody(gzipSync('{"ok":true}'), gzip, LIMIT)).toEqual({ ok: true });
    const bomb = gzipSync(JSON.stringify({ a: 'x'.repeat(LIMIT) }));
    expect(codeOf(() => parseJsonBody(bomb, gzip, LIMIT))).toBe('PAYLOAD_TOO_LARGE');
    const compress = { ...JSON_TYPE, 'content-encoding': 'compress' };
    expect(codeOf(() => parseJsonBody(Buffer.from('{}'), compress, LIMIT))).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it("answers a request Node's parser refuses as Node does: a bare 400, then closes", () => {
    const written: string[] = [];
    let destroyed = false;
    const socket = {
      writable: true,
      write: (data: string) => written.push(data),
      destroy: () => (destroyed = true),
    };
    answerClientErrorAsNode({ code: 'HPE_INVALID_HEADER_TOKEN' }, socket);
    expect(written).toEqual(['HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n']);
    expect(destroyed).toBe(true);
  });
});
