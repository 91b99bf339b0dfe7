import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ACCESS_COOKIE_SCHEME, REFRESH_COOKIE_SCHEME } from '../common';

export interface OpenApiDocumentOptions {
  /** Whether cookies carry the `__Host-`/`__Secure-` names (COOKIE_SECURE). */
  secureCookies: boolean;
  version: string;
}

/**
 * The OpenAPI document of the routes `app` serves: what `/docs-json` answers and, built with
 * plain cookie names, what `npm run docs:openapi` writes to `docs/openapi.json`.
 * operationIds are set on every route with `@ApiOperation`, so no controller prefix.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  options: OpenApiDocumentOptions,
): OpenAPIObject {
  const access = options.secureCookies ? '__Host-access_token' : 'access_token';
  const refresh = options.secureCookies ? '__Secure-refresh_token' : 'refresh_token';
  const config = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription(
      'Password login with the JWT in an httpOnly cookie, and a login audit trail. ' +
        'Every error answers the `ApiErrorBody` schema; every unsafe request but the login ' +
        'sends the `csrf_token` cookie back in `X-CSRF-Token`.',
    )
    .setVersion(options.version)
    .addCookieAuth(
      access,
      {
        type: 'apiKey',
        in: 'cookie',
        description:
          'The access token (a JWT) set by login and refresh: `access_token`, named ' +
          '`__Host-access_token` when cookies are secure (COOKIE_SECURE).',
      },
      ACCESS_COOKIE_SCHEME,
    )
    .addCookieAuth(
      refresh,
      {
        type: 'apiKey',
        in: 'cookie',
        description:
          'The single-use refresh token, sent to `/auth` only: `refresh_token`, named ' +
          '`__Secure-refresh_token` when cookies are secure (COOKIE_SECURE).',
      },
      REFRESH_COOKIE_SCHEME,
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** The package's version, read from `src/../..` or `dist/../..` alike. */
export function packageVersion(): string {
  const text = readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
