import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../../src/common';
import { createTestApp, HTTP_ADAPTERS, TestApp } from '../support/app';

interface Route {
  method: string;
  path: string;
  isPublic: boolean;
}

/**
 * Routes that are public on purpose. Adding a public route means adding it here, in the same
 * change, where a reviewer sees it.
 */
const PUBLIC_ON_PURPOSE = new Set([
  'POST /auth/login',
  'POST /auth/refresh',
  'GET /health',
  'GET /health/ready',
  // Guarded by its own IP allow-list / token check when enabled (see docs/security.md).
  'GET /metrics',
  // The web console's files (index.html and fingerprinted assets): no data, rate-limited.
  'GET /',
  'GET /login',
  'GET /account',
  'GET /account/{*rest}',
  'GET /admin',
  'GET /admin/{*rest}',
  'GET /assets/{*file}',
  // The same console routes in find-my-way's spelling (Fastify).
  'GET /account/*',
  'GET /admin/*',
  'GET /assets/*',
]);

function joinPath(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((part): part is string => part !== undefined && part !== '' && part !== '/')
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .join('/');
  return `/${joined}`;
}

/** Every route of every controller, from Nest's own metadata. */
function registeredRoutes(t: TestApp): Route[] {
  const scanner = new MetadataScanner();
  const routes: Route[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller || !wrapper.instance) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      const controllerPaths = ([] as (string | undefined)[]).concat(
        Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined,
      );
      const controllerPublic = Reflect.getMetadata(IS_PUBLIC_KEY, controller) === true;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as
          string | string[] | undefined;
        if (methodPath === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const isPublic = controllerPublic || Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true;
        for (const base of controllerPaths) {
          for (const path of ([] as string[]).concat(methodPath)) {
            routes.push({ method, path: joinPath(base, path), isPublic });
          }
        }
      }
    }
  }
  return routes;
}

describe.each(HTTP_ADAPTERS)(
  'every route is public on purpose or guarded (e2e) on %s',
  (adapter) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({}, adapter);
    });
    afterAll(async () => {
      await t.close();
    });

    it('finds the routes of API.md', () => {
      const names = registeredRoutes(t).map((route) => `${route.method} ${route.path}`);
      expect(names).toEqual(
        expect.arrayContaining([
          'POST /auth/login',
          'POST /auth/refresh',
          'POST /auth/logout',
          'POST /auth/logout-all',
          'GET /auth/me',
          'GET /auth/sessions',
          'DELETE /auth/sessions/:id',
          'POST /auth/password',
          'POST /users',
          'GET /users',
          'PATCH /users/:id',
          'POST /users/:id/unlock',
        ]),
      );
    });

    it('has no public route that is not listed as public on purpose', () => {
      const unexpected = registeredRoutes(t)
        .filter((route) => route.isPublic)
        .map((route) => `${route.method} ${route.path}`)
        .filter((name) => !PUBLIC_ON_PURPOSE.has(name));
      expect(unexpected).toEqual([]);
    });

    it('answers 401 TOKEN_MISSING on every other route when no cookie is sent', async () => {
      const guarded = registeredRoutes(t).filter((route) => !route.isPublic);
      expect(guarded.length).toBeGreaterThan(8);
      const failures: string[] = [];
      for (const route of guarded) {
        const path = route.path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
        const method = route.method === 'ALL' ? 'get' : route.method.toLowerCase();
        const request = (
          t.http as unknown as Record<string, (p: string) => import('supertest').Test>
        )[method](path);
        const response = await request;
        if (
          response.status !== 401 ||
          response.body.code !== 'TOKEN_MISSING' ||
          response.headers['www-authenticate'] !== 'Cookie realm="gatehouse"'
        ) {
          failures.push(
            `${route.method} ${route.path} -> ${response.status} ${JSON.stringify(response.body)}`,
          );
        }
      }
      expect(failures).toEqual([]);
    });
  },
);
