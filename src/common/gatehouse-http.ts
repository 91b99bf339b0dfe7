import { ValidationPipe } from '@nestjs/common';
import { ApiError } from './api-error';
import { ClientAddressSource, resolveClientIp } from './client-address';
import { acceptRequestId, currentRequestContext, runWithRequestContext } from './request-context';

/**
 * The validation of API.md on Gatehouse's own controllers (`@UsePipes`), so a host's global
 * pipes neither replace nor loosen it, and Gatehouse's never reach the host's routes.
 */
export function gatehouseValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
  });
}

/** The little of a request the context middleware reads (Express and Fastify's raw request). */
interface IncomingRequest extends ClientAddressSource {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  url?: string;
  originalUrl?: string;
  path?: string;
}

interface OutgoingResponse {
  setHeader(name: string, value: string): unknown;
}

function pathOf(request: IncomingRequest): string {
  if (typeof request.path === 'string') return request.path;
  const url = request.originalUrl ?? request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Request id (taken or made, echoed in `X-Request-Id`), user agent, method, path and the
 * canonical client IP (API.md) for every log line and audit event of the request. The IP is
 * decided here once and replaces `request.ip`, so the rate limit, the login throttle, blocks,
 * sessions, metrics and every audit event read the same spelling; a forwarded value that is not
 * an address is `400 BAD_CLIENT_ADDRESS`, recorded with the address of the proxy that forwarded
 * it. Applied by Gatehouse's modules to their own routes (and by the service to all of its
 * routes); a request already in a context keeps it.
 */
export function requestContextMiddleware(
  request: IncomingRequest,
  response: OutgoingResponse,
  next: (error?: unknown) => void,
): void {
  if (currentRequestContext()) return next();
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
      method: request.method ?? '-',
      path: pathOf(request),
      // The request's budget (DB_TIMEOUT_MS) counts from here, so a 503's audit write is bounded.
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
