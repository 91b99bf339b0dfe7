import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { rejectDeepJson, rejectPrototypeKeys, requestContextMiddleware } from './common';
import type { AppConfig } from './config';
import {
  helmetOptions,
  isSensitivePath,
  RateLimitMiddleware,
  unsupportedMediaType,
} from './app.setup.shared';

/** API.md: a body on a JSON route must be `application/json`; anything else is 415. */
function requireJsonBodies(request: Request, _response: Response, next: NextFunction): void {
  // Through the exception layer (not written here), so the login audit hook sees it too.
  next(unsupportedMediaType(request.method, request.headers));
}

function noStoreOnSensitiveRoutes(request: Request, response: Response, next: NextFunction): void {
  if (isSensitivePath(request.path)) response.setHeader('Cache-Control', 'no-store');
  next();
}

/**
 * The Express half of the service's HTTP pipeline. Order matters: context first (so even a 413
 * carries a request id), then headers, CORS (`withCors`), the general rate limit, then parsing.
 */
export function configureExpressApp(
  app: INestApplication,
  config: AppConfig,
  rateLimit: RateLimitMiddleware | undefined,
  withCors: () => void,
): void {
  const express_ = app as NestExpressApplication;
  express_.disable('x-powered-by');
  express_.set('trust proxy', config.http.trustProxy);
  app.use(requestContextMiddleware);
  app.use(helmet(helmetOptions(config)));
  app.use(noStoreOnSensitiveRoutes);
  withCors();
  // After CORS (a refusal a browser can read) and before parsing (a flood costs no parsing).
  if (rateLimit) app.use(rateLimit.use.bind(rateLimit));
  app.use(requireJsonBodies);
  app.use(
    express.json({ limit: config.http.bodyLimitBytes, strict: true, type: 'application/json' }),
  );
  // Depth first: it bounds every later walk of the body (prototype keys, class-transformer).
  app.use(rejectDeepJson);
  app.use(rejectPrototypeKeys);
}
