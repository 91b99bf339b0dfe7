import { INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from './config';
import {
  acceptRequestId,
  ApiError,
  ErrorResponseHook,
  HttpExceptionFilter,
  rejectDeepJson,
  rejectPrototypeKeys,
  resolveClientIp,
  runWithRequestContext,
} from './common';
import { RateLimitMiddleware } from './auth/throttle';

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

/**
 * Request id (taken or made), echoed in `X-Request-Id` and carried by every log line and event;
 * and the canonical client IP (API.md), decided here once: it replaces `request.ip`, so the
 * rate limit, the login throttle, blocks, sessions, metrics and every audit event read the same
 * spelling. A forwarded value that is not an address is `400 BAD_CLIENT_ADDRESS`, recorded with
 * the address of the proxy that forwarded it.
 */
function requestContext(request: Request, response: Response, next: NextFunction): void {
  const requestId = acceptRequestId(request.headers['x-request-id']);
  response.setHeader('X-Request-Id', requestId);
  const userAgent = request.headers['user-agent'];
  const client = resolveClientIp(request);
  const ip = client.ok ? client.ip : client.proxyIp;
  Object.defineProperty(request, 'ip', { value: ip, configurable: true, enumerable: true });
  runWithRequestContext(
    {
      requestId,
      ip,
      userAgent: typeof userAgent === 'string' ? userAgent : '',
      method: request.method,
      path: request.path,
      startedAt: Date.now(),
    },
    () => {
      if (client.ok) next();
      else
        next(
          new ApiError(
            400,
            'BAD_CLIENT_ADDRESS',
            'The forwarded client address is not an IP address',
          ),
        );
    },
  );
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

/** The hooks a module provides (auth: the login audit of refusals before the handler). */
function errorResponseHooks(app: INestApplication): ErrorResponseHook[] {
  try {
    return [app.get(ErrorResponseHook, { strict: false })];
  } catch {
    return [];
  }
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
  app.use(requestContext);
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
  app.use(cookieParser());
  app.use(requireJsonBodies);
  app.use(
    express.json({ limit: config.http.bodyLimitBytes, strict: true, type: 'application/json' }),
  );
  // Depth first: it bounds every later walk of the body (prototype keys, class-transformer).
  app.use(rejectDeepJson);
  app.use(rejectPrototypeKeys);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(new HttpExceptionFilter(errorResponseHooks(app)));
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse')
      .setDescription('Password login with the JWT in an httpOnly cookie, and a login audit trail.')
      .setVersion('0.1.0')
      .addCookieAuth(config.cookies.secure ? '__Host-access_token' : 'access_token')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
