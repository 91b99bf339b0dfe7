import type { ExecutionContext } from '@nestjs/common';
import type { AuthenticatedUser } from '../../src/common';

/** The parts of an HTTP request the guard reads. */
export interface FakeHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  user?: AuthenticatedUser;
}

/** A request with these cookies (sent in a Cookie header) and headers. */
export function httpRequest(
  method: string,
  cookies: Record<string, string> = {},
  headers: Record<string, string> = {},
): FakeHttpRequest {
  const cookie = Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
  return {
    method,
    url: '/somewhere',
    headers: { host: '127.0.0.1', ...(cookie ? { cookie } : {}), ...headers },
  };
}

/**
 * A hand-written ExecutionContext of one HTTP request to `handler` of `controller` (its
 * metadata, `@Public()` or `@Roles()`, is what the guard reads).
 */
export function httpContext<T extends object>(
  request: FakeHttpRequest,
  controller: new () => T,
  handler: keyof T,
): ExecutionContext {
  const http = { getRequest: () => request, getResponse: () => ({}), getNext: () => undefined };
  const notHttp = (): never => {
    throw new Error('an HTTP context only');
  };
  return {
    getType: () => 'http',
    switchToHttp: () => http,
    getHandler: (): unknown => (controller.prototype as T)[handler],
    getClass: () => controller,
    getArgs: () => [request, {}],
    getArgByIndex: (index: number) => [request, {}][index],
    switchToRpc: notHttp,
    switchToWs: notHttp,
  } as unknown as ExecutionContext;
}
