import { ValidationPipe } from '@nestjs/common';
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
interface IncomingRequest {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  url?: string;
  originalUrl?: string;
  path?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
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
 * Request id (taken or made, echoed in `X-Request-Id`), client IP, user agent, method and path
 * for every log line and audit event of the request. Applied by Gatehouse's modules to their
 * own routes (and by the service to all of its routes); a request already in a context keeps it.
 */
export function requestContextMiddleware(
  request: IncomingRequest,
  response: OutgoingResponse,
  next: () => void,
): void {
  if (currentRequestContext()) return next();
  const requestId = acceptRequestId(request.headers['x-request-id']);
  response.setHeader('X-Request-Id', requestId);
  const userAgent = request.headers['user-agent'];
  runWithRequestContext(
    {
      requestId,
      ip: request.ip ?? request.socket?.remoteAddress ?? '-',
      userAgent: typeof userAgent === 'string' ? userAgent : '',
      method: request.method ?? '-',
      path: pathOf(request),
    },
    next,
  );
}
