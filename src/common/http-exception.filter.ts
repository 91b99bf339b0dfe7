import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ApiError } from './api-error';
import { DomainError, DomainErrorCode } from './domain-error';
import { errorMessage } from './error-message';
import {
  expressResponses,
  GatehouseRequest,
  GatehouseResponse,
  HttpResponseWriter,
  requestPath,
} from './http-platform';
import { isDatabaseUnavailable } from './unavailable-errors';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  [extra: string]: unknown;
}

const CODES_BY_STATUS: Record<number, [string, string]> = {
  400: ['VALIDATION_FAILED', 'Validation failed'],
  401: ['UNAUTHORIZED', 'Unauthorized'],
  403: ['FORBIDDEN', 'Forbidden'],
  404: ['NOT_FOUND', 'Not found'],
  405: ['METHOD_NOT_ALLOWED', 'Method not allowed'],
  409: ['CONFLICT', 'Conflict'],
  413: ['PAYLOAD_TOO_LARGE', 'Payload too large'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type'],
  429: ['RATE_LIMITED', 'Too many requests'],
  503: ['SERVICE_UNAVAILABLE', 'Service unavailable'],
};

/** RFC 6750-style challenge for a cookie carrier; every 401 of a protected route carries it. */
export const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Cookie realm="gatehouse"' };

/**
 * The one mapping from the domain's refusals to HTTP: each code's status, and whether it
 * carries the challenge (token and refresh failures, API.md "Token failures"). A new code
 * does not compile until it has a row here.
 */
const DOMAIN_ERRORS: Record<DomainErrorCode, { status: number; challenge?: true }> = {
  VALIDATION_FAILED: { status: 400 },
  PASSWORD_POLICY: { status: 400 },
  INVALID_CREDENTIALS: { status: 401 },
  REFRESH_INVALID: { status: 401, challenge: true },
  REFRESH_REUSED: { status: 401, challenge: true },
  TOKEN_MISSING: { status: 401, challenge: true },
  TOKEN_EXPIRED: { status: 401, challenge: true },
  TOKEN_INVALID: { status: 401, challenge: true },
  SESSION_REVOKED: { status: 401, challenge: true },
  CSRF_TOKEN: { status: 403 },
  CSRF_ORIGIN: { status: 403 },
  FORBIDDEN: { status: 403 },
  NOT_FOUND: { status: 404 },
  USERNAME_TAKEN: { status: 409 },
  LAST_ADMIN: { status: 409 },
  REVIEW_RUNNING: { status: 409 },
  TOO_MANY_ATTEMPTS: { status: 429 },
  LOGIN_BUSY: { status: 503 },
  SERVICE_UNAVAILABLE: { status: 503 },
};

function fromDomainError(error: DomainError): { body: ErrorBody; headers: Record<string, string> } {
  const { status, challenge } = DOMAIN_ERRORS[error.code];
  const { errors, retryAfterSeconds } = error.details;
  const headers: Record<string, string> = challenge ? { ...WWW_AUTHENTICATE } : {};
  if (retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
  const body: ErrorBody = { statusCode: status, code: error.code, message: error.message };
  if (errors !== undefined) body.errors = errors;
  return { body, headers };
}

/**
 * A domain error as an `HttpException` with the contract's body, for code that runs outside
 * Gatehouse's own filter: the global guard also runs before a host's routes, and a host's
 * filter knows only `HttpException` (anything else would become a 500).
 */
export function httpExceptionOf(error: DomainError): ApiError {
  const { body, headers } = fromDomainError(error);
  const { statusCode, code, message, ...extra } = body;
  return new ApiError(statusCode, code, message, extra, headers);
}

/** body-parser errors carry a `type`; they become the codes of API.md. */
function fromBodyParser(error: { type?: string; status?: number }): ErrorBody | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return { statusCode: 400, code: 'MALFORMED_JSON', message: 'Malformed JSON' };
    case 'entity.too.large':
      return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Payload too large' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported media type' };
    default:
      return undefined;
  }
}

/**
 * Fastify's own errors for what body-parser refuses on Express (its body reader runs before
 * Gatehouse's JSON parser), so both platforms answer with the same status, code and body.
 */
function fromFastify(error: { code?: unknown }): ErrorBody | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Payload too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported media type' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { statusCode: 400, code: 'MALFORMED_JSON', message: 'Malformed JSON' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { statusCode: 400, code: 'VALIDATION_FAILED', message: 'Validation failed' };
    default:
      return undefined;
  }
}

/** Maps any thrown value to the API.md error body; never leaks a stack, SQL or a path. */
export function toErrorBody(exception: unknown): {
  body: ErrorBody;
  headers: Record<string, string>;
} {
  if (exception instanceof DomainError) return fromDomainError(exception);
  if (exception instanceof ApiError) {
    return { body: exception.getResponse() as ErrorBody, headers: exception.headers };
  }
  if (exception instanceof HttpException) {
    // Nest's Express adapter wraps body-parser errors (malformed JSON, too large) in an
    // HttpException whose `cause` keeps the parser's `type`.
    const wrapped = fromBodyParser(exception.cause ?? {});
    if (wrapped) return { body: wrapped, headers: {} };
    const status = exception.getStatus();
    const [code, message] = CODES_BY_STATUS[status] ?? ['ERROR', 'Error'];
    const response = exception.getResponse();
    const extra: Record<string, unknown> = {};
    if (status === 400 && typeof response === 'object' && response !== null) {
      const details = (response as { message?: unknown }).message;
      if (Array.isArray(details)) extra.errors = details;
    }
    return { body: { statusCode: status, code, message, ...extra }, headers: {} };
  }
  const parserBody =
    fromBodyParser(exception as { type?: string }) ?? fromFastify(exception as { code?: unknown });
  if (parserBody) return { body: parserBody, headers: {} };
  if (isDatabaseUnavailable(exception)) {
    return {
      body: { statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: 'Service unavailable' },
      headers: { 'Retry-After': '5' },
    };
  }
  return {
    body: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' },
    headers: {},
  };
}

/**
 * Runs before an error response is written, and is awaited: auth uses it to commit the audit
 * event of a login refused before its handler ran (415, 413, malformed JSON, rate limit).
 */
export abstract class ErrorResponseHook {
  abstract beforeErrorResponse(request: GatehouseRequest, body: ErrorBody): Promise<void>;
}

/** During an outage every request fails the same way; one line per interval says it all. */
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');
  private unavailableLoggedAt = Number.NEGATIVE_INFINITY;
  private unavailableSuppressed = 0;

  constructor(
    private readonly hooks: readonly ErrorResponseHook[] = [],
    /** The platform's response writer (HttpPlatform); Express unless told. */
    private readonly responses: HttpResponseWriter = expressResponses,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const response = http.getResponse<GatehouseResponse>();
    const request = http.getRequest<GatehouseRequest>();
    const { body, headers } = toErrorBody(exception);
    if (body.code === 'SERVICE_UNAVAILABLE') {
      this.logUnavailable(exception);
    } else if (body.statusCode >= 500) {
      const cause =
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      this.logger.error(`${request.method} ${requestPath(request)} failed: ${cause}`);
    }
    for (const hook of this.hooks) {
      try {
        await hook.beforeErrorResponse(request, body);
      } catch (error) {
        this.logger.error(`Error response hook failed: ${errorMessage(error)}`);
      }
    }
    if (this.responses.headersSent(response)) return;
    for (const [name, value] of Object.entries(headers))
      this.responses.setHeader(response, name, value);
    this.responses.sendJson(response, body.statusCode, body);
  }

  private logUnavailable(exception: unknown): void {
    const now = Date.now();
    if (now - this.unavailableLoggedAt < UNAVAILABLE_LOG_INTERVAL_MS) {
      this.unavailableSuppressed++;
      return;
    }
    const reason = errorMessage(exception);
    const suppressed =
      this.unavailableSuppressed > 0
        ? ` (${this.unavailableSuppressed} more since the last line)`
        : '';
    this.logger.warn(`Database unavailable, answering 503: ${reason}${suppressed}`);
    this.unavailableLoggedAt = now;
    this.unavailableSuppressed = 0;
  }
}
