import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from './config';
import {
  ApiError,
  ErrorResponseHook,
  HttpExceptionFilter,
  rejectDeepJson,
  rejectPrototypeKeys,
  requestContextMiddleware,
} from './common';
import { RateLimitMiddleware } from './auth';
import { buildOpenApiDocument, packageVersion } from './openapi';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SENSITIVE_PREFIXES = ['/auth', '/users', '/audit'];

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

/** API.md: a body on a JSON route must be `application/json`; anything else is 415. */
function requireJsonBodies(request: Request, _response: Response, next: NextFunction): void {
  if (BODY_METHODS.has(request.method) && hasBody(request) && !request.is('application/json')) {
    // Through the exception layer (not written here), so the login audit hook sees it too.
    next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'));
    return;
  }
  next();
}

/** The general rate limit for what route guards never see (docs, static files, 404s). */
function generalRateLimit(app: INestApplication): RateLimitMiddleware | undefined {
  try {
    return app.get(RateLimitMiddleware, { strict: false });
  } catch {
    return undefined;
  }
}

function noStoreOnSensitiveRoutes(request: Request, response: Response, next: NextFunction): void {
  if (
    SENSITIVE_PREFIXES.some(
      (prefix) => request.path === prefix || request.path.startsWith(`${prefix}/`),
    )
  ) {
    response.setHeader('Cache-Control', 'no-store');
  }
  next();
}

/** The hook auth provides (the login audit of refusals before the handler); required. */
function errorResponseHooks(app: INestApplication): ErrorResponseHook[] {
  return [app.get(ErrorResponseHook)];
}

/**
 * The HTTP pipeline shared by `main.ts` and the e2e tests, so tests boot exactly what runs.
 * Order matters: context first (so even a 413 carries a request id), then headers, then
 * parsing.
 */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const express_ = app as NestExpressApplication;
  express_.disable('x-powered-by');
  express_.set('trust proxy', config.http.trustProxy);
  app.use(requestContextMiddleware);
  app.use(
    helmet({
      // A JSON API: no HTML of ours needs CSP beyond the docs page, which helmet's default allows.
      hsts: config.cookies.secure
        ? { maxAge: 31536000, includeSubDomains: true, preload: false }
        : false,
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(noStoreOnSensitiveRoutes);
  if (config.http.appOrigins.length > 0) {
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
  const rateLimit = generalRateLimit(app);
  // After CORS (a refusal a browser can read) and before parsing (a flood costs no parsing).
  if (rateLimit) app.use(rateLimit.use.bind(rateLimit));
  app.use(requireJsonBodies);
  app.use(
    express.json({ limit: config.http.bodyLimitBytes, strict: true, type: 'application/json' }),
  );
  // Depth first: it bounds every later walk of the body (prototype keys, class-transformer).
  app.use(rejectDeepJson);
  app.use(rejectPrototypeKeys);
  app.useGlobalFilters(new HttpExceptionFilter(errorResponseHooks(app)));
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app, {
    secureCookies: config.cookies.secure,
    version: packageVersion(),
  });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
