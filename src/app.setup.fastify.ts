import type { INestApplication } from '@nestjs/common';
import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { ApiError, FastifyHookTarget, installFastifyRequestHooks, requestPath } from './common';
import type { AppConfig } from './config';
import {
  helmetOptions,
  isSensitivePath,
  RateLimitMiddleware,
  unsupportedMediaType,
} from './app.setup.shared';

/*
 * The Fastify half of the service's HTTP pipeline: the same contract as Express's, in Fastify's
 * terms. Loaded only when HTTP_ADAPTER=fastify, so the Express service never loads Fastify.
 */

/**
 * Fastify's `trustProxy` with Express's meaning of TRUST_PROXY: addresses and names are compiled
 * by proxy-addr on both; a hop count trusts the first `n` hops from the socket, as Express's
 * `trust proxy = n` does, where Fastify 5 would trust no hop at all for a number.
 */
export function fastifyTrustProxy(
  trustProxy: AppConfig['http']['trustProxy'],
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trustProxy !== 'number') return trustProxy;
  return (_address, hop) => hop < trustProxy;
}

/** Node's own answers to a request it cannot parse (lib/_http_server.js), by parser error. */
const NODE_CLIENT_ERROR_ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/**
 * A request Node's HTTP parser refuses (a control character in a header, a malformed request
 * line) never reaches the application. Express leaves it to Node, which answers a bare
 * `400 Bad Request` with no body; Fastify would answer its own JSON. This answers as Node does,
 * so both platforms give the same bytes.
 */
export function answerClientErrorAsNode(
  error: { code?: string },
  socket: { writable: boolean; write(data: string): unknown; destroy(): unknown },
): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = NODE_CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? '400 Bad Request';
  socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  socket.destroy();
}

/** The adapter for `NestFactory.create`, with TRUST_PROXY and the body limit. */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  // Required here, not imported: @nestjs/platform-fastify is an optional peer.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { FastifyAdapter: Adapter } = require('@nestjs/platform-fastify') as {
    FastifyAdapter: typeof FastifyAdapter;
  };
  return new Adapter({
    trustProxy: fastifyTrustProxy(config.http.trustProxy),
    bodyLimit: config.http.bodyLimitBytes,
    clientErrorHandler: answerClientErrorAsNode,
  });
}

const malformed = (): ApiError => new ApiError(400, 'MALFORMED_JSON', 'Malformed JSON');
const unsupported = (): ApiError =>
  new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type');
const tooLarge = (): ApiError => new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large');

/** body-parser inflates these encodings; any other is `415` (its `encoding.unsupported`). */
function decode(body: Buffer, encoding: string | undefined, limit: number): Buffer {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  const options = { maxOutputLength: limit };
  try {
    if (name === 'identity') return body;
    if (name === 'gzip') return gunzipSync(body, options);
    if (name === 'deflate') return inflateSync(body, options);
    if (name === 'br') return brotliDecompressSync(body, options);
  } catch (error) {
    // Past the limit once inflated: 413, as raw-body counts the inflated bytes.
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    if (error instanceof RangeError) throw tooLarge();
    throw malformed();
  }
  throw unsupported();
}

function charsetOf(contentType: string | undefined): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return (match?.[1] ?? 'utf-8').toLowerCase();
}

/**
 * The JSON body parser of Express's `express.json({ strict: true })`, so Fastify accepts and
 * refuses the same bodies: only UTF charsets (else `415`), gzip/deflate/br inflated within the
 * limit, an empty body as `{}`, only an object or array at the top (strict), and `__proto__`
 * kept as an own key (refused after parsing, like every prototype key, with
 * `400 VALIDATION_FAILED`) where Fastify's own parser would throw.
 */
export function parseJsonBody(
  body: Buffer,
  headers: { 'content-type'?: string; 'content-encoding'?: string },
  limit: number,
): unknown {
  const charset = charsetOf(headers['content-type']);
  if (!charset.startsWith('utf-')) throw unsupported();
  const bytes = decode(body, headers['content-encoding'], limit);
  let text: string;
  try {
    text = new TextDecoder(charset, { fatal: false }).decode(bytes);
  } catch {
    throw unsupported();
  }
  if (text.length === 0) return {};
  // The first character that is not JSON whitespace (space, tab, line feed, carriage return).
  const first = /^[ \t\n\r]*([^ \t\n\r])/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw malformed();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed();
  }
}

function onRequest(
  fastify: FastifyInstance,
  hook: (request: FastifyRequest, reply: FastifyReply, done: (error?: unknown) => void) => void,
): void {
  fastify.addHook('onRequest', (request, reply, done) =>
    hook(request, reply, (error) => done(error as Error | undefined)),
  );
}

/**
 * Order as on Express: context first (so even a 413 carries a request id), headers, the general
 * rate limit, the media type; the body is parsed after the `onRequest` hooks, and its checks run
 * in `preValidation`. CORS (`app.enableCors`) runs in the adapter's own first hook.
 */
export async function configureFastifyApp(
  app: INestApplication,
  config: AppConfig,
  rateLimit: RateLimitMiddleware | undefined,
): Promise<void> {
  const nest = app as NestFastifyApplication;
  const fastify = nest.getHttpAdapter().getInstance();
  installFastifyRequestHooks(fastify as unknown as FastifyHookTarget, () => true);
  // Awaited one by one, so each plugin's hook is added now, in this order.
  const { default: helmet } = await import('@fastify/helmet');
  await nest.register(helmet, { global: true, ...helmetOptions(config) });
  const { default: cookie } = await import('@fastify/cookie');
  await nest.register(cookie, {});
  onRequest(fastify, (request, reply, done) => {
    if (isSensitivePath(requestPath(request))) void reply.header('Cache-Control', 'no-store');
    done();
  });
  if (rateLimit) {
    onRequest(fastify, (request, reply, done) => rateLimit.use(request, reply, done));
  }
  onRequest(fastify, (request, _reply, done) =>
    done(unsupportedMediaType(request.method, request.headers)),
  );
  // Only JSON: every other type was refused above, so one parser takes any type that is left.
  fastify.removeAllContentTypeParsers();
  const limit = config.http.bodyLimitBytes;
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: limit },
    (request, body, done) => {
      try {
        done(null, parseJsonBody(body as Buffer, request.headers, limit));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}
