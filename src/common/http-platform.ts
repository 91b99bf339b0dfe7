import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The request as Gatehouse reads it: the fields Express's `Request` and Fastify's
 * `FastifyRequest` share. `ip` is the canonical client IP once the request context ran (see
 * gatehouse-http.ts and fastify-request-hooks.ts), on either platform.
 */
export interface GatehouseRequest {
  readonly method: string;
  readonly url: string;
  /** Express and Fastify both keep the URL as received here (`url` may be rewritten). */
  readonly originalUrl?: string;
  readonly headers: IncomingHttpHeaders;
  readonly ip?: string;
  /** `http` or `https`, after `trust proxy` (X-Forwarded-Proto from a trusted hop only). */
  readonly protocol?: string;
  readonly body?: unknown;
  /** Set by cookie-parser (Express) or @fastify/cookie when the application registered one. */
  readonly cookies?: Record<string, string | undefined>;
  readonly socket?: { remoteAddress?: string };
}

/**
 * A response (Express `Response`, Fastify `FastifyReply`), opaque to services: only
 * HttpPlatform writes to it.
 */
export type GatehouseResponse = object;

/** The request path without the query string, the same on both platforms. */
export function requestPath(request: Pick<GatehouseRequest, 'url' | 'originalUrl'>): string {
  const url = request.originalUrl ?? request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * A cookie of the request: the parsed cookies when a parser ran (cookie-parser on Express,
 * @fastify/cookie on Fastify), else the raw `Cookie` header, so a host route behind the global
 * guard reads the same cookie without any set-up of the host's. First occurrence wins, as in
 * both parsers (they use the `cookie` package).
 */
export function readCookie(
  request: Pick<GatehouseRequest, 'cookies' | 'headers'>,
  name: string,
): string | undefined {
  const parsed = request.cookies as Record<string, unknown> | undefined;
  const value =
    parsed !== undefined ? parsed[name] : fromCookieHeader(request.headers.cookie, name);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function fromCookieHeader(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index === -1 || pair.slice(0, index).trim() !== name) continue;
    const raw = pair.slice(index + 1).trim();
    const unquoted = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    try {
      return decodeURIComponent(unquoted);
    } catch {
      return unquoted;
    }
  }
  return undefined;
}

/**
 * Everything Gatehouse writes to a response, in one small interface with one implementation
 * per platform, so services, guards and filters never see Express or Fastify types.
 */
export interface HttpResponseWriter {
  readonly kind: 'express' | 'fastify';
  /** Adds `Set-Cookie` lines, keeping the ones already set. */
  appendSetCookie(response: GatehouseResponse, cookies: readonly string[]): void;
  setHeader(response: GatehouseResponse, name: string, value: string | number): void;
  setStatus(response: GatehouseResponse, status: number): void;
  headersSent(response: GatehouseResponse): boolean;
  /** Ends the response with a JSON body (the error format of API.md). */
  sendJson(response: GatehouseResponse, status: number, body: unknown): void;
  /** Ends the response with bytes (or none, for `HEAD` and `304`), headers already set. */
  sendBytes(response: GatehouseResponse, status: number, body: Buffer | undefined): void;
}

interface ExpressResponse {
  headersSent: boolean;
  append(name: string, value: string[]): unknown;
  setHeader(name: string, value: string | number): unknown;
  status(code: number): ExpressResponse;
  json(body: unknown): unknown;
  end(body?: Buffer): unknown;
}

/** Express (`@nestjs/platform-express`): the Node response with Express's helpers. */
export const expressResponses: HttpResponseWriter = {
  kind: 'express',
  appendSetCookie: (response, cookies) =>
    void (response as ExpressResponse).append('Set-Cookie', [...cookies]),
  setHeader: (response, name, value) => void (response as ExpressResponse).setHeader(name, value),
  setStatus: (response, status) => void (response as ExpressResponse).status(status),
  headersSent: (response) => (response as ExpressResponse).headersSent,
  sendJson: (response, status, body) =>
    void (response as ExpressResponse).status(status).json(body),
  sendBytes: (response, status, body) =>
    void (response as ExpressResponse).status(status).end(body),
};

interface FastifyReply {
  sent: boolean;
  raw: { headersSent: boolean };
  header(name: string, value: string | number | string[]): FastifyReply;
  code(status: number): FastifyReply;
  send(body?: unknown): unknown;
}

/**
 * Fastify (`@nestjs/platform-fastify`): the reply. `reply.header('set-cookie', …)` adds to the
 * cookies already set (Fastify keeps `set-cookie` as a list), as Express's `append` does.
 */
export const fastifyResponses: HttpResponseWriter = {
  kind: 'fastify',
  appendSetCookie: (response, cookies) =>
    void (response as FastifyReply).header('set-cookie', [...cookies]),
  setHeader: (response, name, value) => void (response as FastifyReply).header(name, value),
  setStatus: (response, status) => void (response as FastifyReply).code(status),
  headersSent: (response) =>
    (response as FastifyReply).sent || (response as FastifyReply).raw.headersSent,
  // An object is serialized as JSON with `application/json; charset=utf-8`, as `res.json` does.
  sendJson: (response, status, body) => void (response as FastifyReply).code(status).send(body),
  sendBytes: (response, status, body) => void (response as FastifyReply).code(status).send(body),
};

/** The writer of a platform by the name Nest's adapters give themselves (`getType()`). */
export function responsesFor(adapterType: string | undefined): HttpResponseWriter {
  return adapterType === 'fastify' ? fastifyResponses : expressResponses;
}

/**
 * The response writer of the running application, chosen from the HTTP adapter Nest was
 * created with (`HttpAdapterHost`). Chosen on first use rather than at construction: a testing
 * module gets its adapter only when `createNestApplication()` runs, after providers exist.
 * Without an HTTP adapter (the CLI) nothing writes responses; Express is the default.
 */
@Injectable()
export class HttpPlatform implements HttpResponseWriter {
  private chosen?: HttpResponseWriter;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  private get writer(): HttpResponseWriter {
    if (this.chosen) return this.chosen;
    const adapter = this.adapterHost.httpAdapter as { getType?(): string } | undefined;
    const writer = responsesFor(adapter?.getType?.());
    if (adapter) this.chosen = writer;
    return writer;
  }

  get kind(): 'express' | 'fastify' {
    return this.writer.kind;
  }

  appendSetCookie(response: GatehouseResponse, cookies: readonly string[]): void {
    this.writer.appendSetCookie(response, cookies);
  }

  setHeader(response: GatehouseResponse, name: string, value: string | number): void {
    this.writer.setHeader(response, name, value);
  }

  setStatus(response: GatehouseResponse, status: number): void {
    this.writer.setStatus(response, status);
  }

  headersSent(response: GatehouseResponse): boolean {
    return this.writer.headersSent(response);
  }

  sendJson(response: GatehouseResponse, status: number, body: unknown): void {
    this.writer.sendJson(response, status, body);
  }

  sendBytes(response: GatehouseResponse, status: number, body: Buffer | undefined): void {
    this.writer.sendBytes(response, status, body);
  }
}
