import { DynamicModule, INestApplication, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config';
import { ErrorResponseHook, HttpExceptionFilter, HttpPlatform } from './common';
import { buildOpenApiDocument, packageVersion } from './openapi';
import { generalRateLimit } from './app.setup.shared';
import { configureExpressApp } from './app.setup.express';
import { AppModule } from './app.module';

/** The hook auth provides (the login audit of refusals before the handler); required. */
function errorResponseHooks(app: INestApplication): ErrorResponseHook[] {
  return [app.get(ErrorResponseHook)];
}

function enableCors(app: INestApplication, config: AppConfig): void {
  if (config.http.appOrigins.length === 0) return;
  // The front-ends of APP_ORIGINS may call the API with their cookies (credentials) and the
  // CSRF header; no other origin gets CORS headers. Preflights end here, before any guard.
  app.enableCors({
    origin: config.http.appOrigins,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'X-CSRF-Token', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
}

/**
 * The service's application on the platform HTTP_ADAPTER names (Express by default). Nest's
 * own body parser is off: the service parses JSON itself, with its limit (configureApp).
 * `module` is `AppModule.forRoot(config)` unless a wrapper of it is given (the bench's).
 */
export async function createServiceApp(
  config: AppConfig,
  options: NestApplicationOptions = {},
  module: Type | DynamicModule = AppModule.forRoot(config),
): Promise<INestApplication> {
  const settings = { ...options, bodyParser: false };
  if (config.http.adapter === 'fastify') {
    const { createFastifyAdapter } = await import('./app.setup.fastify');
    return NestFactory.create(module, createFastifyAdapter(config), settings);
  }
  return NestFactory.create(module, settings);
}

/**
 * The HTTP pipeline shared by `main.ts` and the e2e tests, so tests boot exactly what runs, on
 * Express or Fastify (whichever the application was created with): request context, security
 * headers, CORS, the general rate limit, `415`, the JSON body and its checks, the error format,
 * and `/docs`.
 */
export async function configureApp(app: INestApplication, config: AppConfig): Promise<void> {
  const rateLimit = generalRateLimit(app);
  const platform = app.get(HttpPlatform, { strict: false });
  if (platform.kind === 'fastify') {
    enableCors(app, config);
    const { configureFastifyApp } = await import('./app.setup.fastify');
    await configureFastifyApp(app, config, rateLimit);
  } else {
    configureExpressApp(app, config, rateLimit, () => enableCors(app, config));
  }
  app.useGlobalFilters(new HttpExceptionFilter(errorResponseHooks(app), platform));
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app, {
    secureCookies: config.cookies.secure,
    version: packageVersion(),
  });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
