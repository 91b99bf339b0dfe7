import type { INestApplication } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { RateLimitMiddleware } from './auth/throttle';
import { ApiError } from './common';
import type { AppConfig } from './config';

export { RateLimitMiddleware };

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SENSITIVE_PREFIXES = ['/auth', '/users', '/audit'];

/** Whether the request carries a body (the test of body-parser and type-is). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** `application/json`, with any parameters, in any case (what `req.is('application/json')` takes). */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semicolon = header.indexOf(';');
  const type = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json';
}

/**
 * API.md: a body on a JSON route must be `application/json`; anything else is `415`. The
 * error, or undefined when the request may go on to parsing.
 */
export function unsupportedMediaType(
  method: string,
  headers: IncomingHttpHeaders,
): ApiError | undefined {
  if (!BODY_METHODS.has(method) || !hasBody(headers)) return undefined;
  if (isJsonContentType(headers['content-type'])) return undefined;
  return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
}

export function isSensitivePath(path: string): boolean {
  return SENSITIVE_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** The same helmet options on Express (`helmet`) and Fastify (`@fastify/helmet`). */
export function helmetOptions(config: AppConfig) {
  return {
    // A JSON API: no HTML of ours needs CSP beyond the docs page, which helmet's default allows.
    hsts: config.cookies.secure
      ? { maxAge: 31536000, includeSubDomains: true, preload: false }
      : (false as const),
    crossOriginEmbedderPolicy: false,
  };
}

/** The general rate limit for what route guards never see (docs, static files, 404s). */
export function generalRateLimit(app: INestApplication): RateLimitMiddleware | undefined {
  try {
    return app.get(RateLimitMiddleware, { strict: false });
  } catch {
    return undefined;
  }
}
