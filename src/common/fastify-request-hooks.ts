import { ApiError } from './api-error';
import { resolveClientIp } from './client-address';
import type { GatehouseRequest } from './http-platform';
import { requestPath } from './http-platform';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.middleware';
import { rejectPrototypeKeys } from './prototype-keys.middleware';
import { acceptRequestId, RequestContext, runWithRequestContext } from './request-context';

/*
 * On Fastify, Nest middleware runs through @fastify/middie in an `onRequest` hook, on the Node
 * request (`request.raw`): before the body is parsed, and without Fastify's `trustProxy`
 * resolution of the client address. And an AsyncLocalStorage context entered there does not
 * reach the handler of a request with a body: Fastify reads the body from the socket's events,
 * outside it. So on Fastify the request context and the body checks are Fastify hooks:
 * - `onRequest`: the context (request id, canonical client IP after `trustProxy`, user agent,
 *   method, path), kept on the request;
 * - `preValidation` (the body is parsed): the context entered again for the guards, pipes,
 *   handler and filters, and the JSON body checks (depth, prototype keys).
 * The structural types below keep Fastify's own types out of Gatehouse's public API (hosts on
 * Express do not install it).
 */

const CONTEXT = Symbol('gatehouse.requestContext');

interface RawRequest {
  [CONTEXT]?: RequestContext;
  socket: { remoteAddress?: string };
}

/** The part of a `FastifyRequest` the hooks read. */
export interface FastifyHookRequest extends GatehouseRequest {
  readonly raw: RawRequest;
  /** With `trustProxy`: the socket peer first, then the forwarded hops, the client last. */
  readonly ips?: string[];
  readonly is404?: boolean;
  readonly routeOptions?: { url?: string };
}

interface FastifyHookReply {
  header(name: string, value: string): unknown;
}

type HookDone = (error?: unknown) => void;
type Hook = (request: FastifyHookRequest, reply: FastifyHookReply, done: HookDone) => void;

/** The part of a `FastifyInstance` the hooks need. */
export interface FastifyHookTarget {
  addHook(name: 'onRequest' | 'preValidation', hook: Hook): unknown;
}

/** Which requests get the context and the body checks (the service: all; a host: Gatehouse's). */
export type RequestScope = (request: FastifyHookRequest) => boolean;

const scopesByInstance = new WeakMap<object, RequestScope[]>();

function defineIp(target: object, ip: string): void {
  Object.defineProperty(target, 'ip', { value: ip, configurable: true, enumerable: true });
}

/** The request context of a Fastify request, made once (the hooks run once per request). */
function contextOf(
  request: FastifyHookRequest,
  reply: FastifyHookReply,
): RequestContext & {
  refusal?: ApiError;
} {
  const requestId = acceptRequestId(request.headers['x-request-id']);
  reply.header('X-Request-Id', requestId);
  // Express's `req.ips` order (client first, the socket peer left out) for resolveClientIp.
  const ips = request.ips === undefined ? undefined : request.ips.slice(1).reverse();
  const client = resolveClientIp({ ip: request.ip, ips, socket: request.raw.socket });
  const ip = client.ok ? client.ip : client.proxyIp;
  // The canonical IP replaces Fastify's `request.ip` getter for every later reader, as the
  // Express middleware replaces `req.ip`.
  defineIp(request, ip);
  defineIp(request.raw, ip);
  const userAgent = request.headers['user-agent'];
  const context: RequestContext = {
    requestId,
    ip,
    userAgent: typeof userAgent === 'string' ? userAgent : '',
    method: request.method,
    path: requestPath(request),
    startedAt: Date.now(),
  };
  request.raw[CONTEXT] = context;
  if (client.ok) return context;
  return {
    ...context,
    refusal: new ApiError(
      400,
      'BAD_CLIENT_ADDRESS',
      'The forwarded client address is not an IP address',
    ),
  };
}

/** The JSON body checks of API.md (the Express middleware's), as one error or none. */
function bodyRefusal(request: FastifyHookRequest): unknown {
  if (nestsDeeperThan(request.body, MAX_JSON_DEPTH)) {
    return new ApiError(400, 'VALIDATION_FAILED', 'Validation failed', {
      errors: [`body must not be nested deeper than ${MAX_JSON_DEPTH} levels`],
    });
  }
  let refusal: unknown;
  rejectPrototypeKeys(request, undefined, (error) => (refusal = error));
  return refusal;
}

/**
 * Adds Gatehouse's request context and body checks to a Fastify instance for the requests
 * `scope` selects. Called by each Gatehouse module with routes and by the service; the hooks are
 * added once per instance, and a request any scope selects gets them.
 */
export function installFastifyRequestHooks(instance: FastifyHookTarget, scope: RequestScope): void {
  const known = scopesByInstance.get(instance);
  if (known) {
    known.push(scope);
    return;
  }
  const scopes = [scope];
  scopesByInstance.set(instance, scopes);
  const selected = (request: FastifyHookRequest): boolean =>
    scopes.some((applies) => applies(request));

  instance.addHook('onRequest', (request, reply, done) => {
    if (request.raw[CONTEXT] !== undefined || !selected(request)) return done();
    const context = contextOf(request, reply);
    runWithRequestContext(context, () => done(context.refusal));
  });
  instance.addHook('preValidation', (request, _reply, done) => {
    const context = request.raw[CONTEXT];
    if (context === undefined) return done();
    runWithRequestContext(context, () => done(bodyRefusal(request)));
  });
}

/** Requests to the routes under these paths (`/auth`, `/users`, …), matched routes only. */
export function routesUnder(paths: readonly string[]): RequestScope {
  const prefixes = paths.map((path) => `/${path.replace(/^\/+|\/+$/g, '')}`);
  return (request) => {
    const url = request.routeOptions?.url;
    if (request.is404 === true || url === undefined) return false;
    return prefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));
  };
}
