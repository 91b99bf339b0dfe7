import { Controller, Get, Inject, Req, Res, Type } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  GatehouseRequest,
  GatehouseResponse,
  HttpPlatform,
  notFound,
  Public,
  requestPath,
} from '../common';
import type { ConsoleFile } from './console-files';

export const CONSOLE_FILES = Symbol('CONSOLE_FILES');

/** Paths that belong to the API: an unknown one keeps the JSON 404, never the console's page. */
const API_PREFIXES = ['/auth', '/users', '/audit', '/health', '/metrics', '/docs'];

export function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * The console's own paths. Named, not a catch-all: Nest registers routes module by module in
 * an order a host does not control, and a catch-all registered early would shadow API routes
 * (`GET /audit/blocks`). Any other unknown path keeps the API's JSON 404. Wildcards are spelled
 * per platform: path-to-regexp's optional `{*name}` on Express, find-my-way's `*` on Fastify
 * (Nest hands route paths to each router as they are).
 */
export const CONSOLE_ROUTES = {
  express: [
    '/',
    '/login',
    '/account',
    '/account/{*rest}',
    '/admin',
    '/admin/{*rest}',
    '/assets/{*file}',
  ],
  fastify: ['/', '/login', '/account', '/account/*', '/admin', '/admin/*', '/assets/*'],
} as const;

/**
 * The browser console (API.md "The web console"). A controller rather than static middleware,
 * so the general rate limit (a guard) covers these files like every other path. Mounted through
 * `consoleControllerFor(platform)`, which adds the routes.
 */
export class ConsoleController {
  constructor(
    @Inject(CONSOLE_FILES) private readonly files: Map<string, ConsoleFile>,
    private readonly platform: HttpPlatform,
  ) {}

  get(request: GatehouseRequest, response: GatehouseResponse): void {
    this.serve(request, response);
  }

  private serve(request: GatehouseRequest, response: GatehouseResponse): void {
    const path = requestPath(request);
    if (isApiPath(path)) throw notFound();
    let file = this.files.get(path);
    if (file === undefined) {
      // A missing asset is a 404 (a stale tab must not get HTML as script); any other path is
      // a route of the single-page app.
      if (path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(path)) throw notFound();
      file = this.files.get('/index.html');
      if (file === undefined) throw notFound();
    }
    const headers = this.platform;
    headers.setHeader(response, 'Content-Type', file.type);
    headers.setHeader(
      response,
      'Cache-Control',
      file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
    );
    headers.setHeader(response, 'Vary', 'Accept-Encoding');
    headers.setHeader(response, 'ETag', file.etag);
    if (file.immutable && request.headers['if-none-match'] === file.etag) {
      this.platform.sendBytes(response, 304, undefined);
      return;
    }
    const gzip =
      file.gzip !== undefined && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
    const body = gzip ? file.gzip! : file.body;
    if (gzip) headers.setHeader(response, 'Content-Encoding', 'gzip');
    headers.setHeader(response, 'Content-Length', String(body.length));
    this.platform.sendBytes(response, 200, request.method === 'HEAD' ? undefined : body);
  }
}

/** The console's controller with the routes of `platform`. */
export function consoleControllerFor(
  platform: keyof typeof CONSOLE_ROUTES,
): Type<ConsoleController> {
  @ApiExcludeController()
  @Public()
  @Controller()
  class ConsoleRoutesController extends ConsoleController {
    // Express and Fastify answer HEAD with the GET route (no body).
    @Get([...CONSOLE_ROUTES[platform]])
    override get(@Req() request: GatehouseRequest, @Res() response: GatehouseResponse): void {
      super.get(request, response);
    }
  }
  return ConsoleRoutesController;
}
