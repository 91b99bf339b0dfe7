import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { GatehouseRequest } from '../../common';
import { AuthCookies } from '../auth-cookies';
import { InjectAuthOptions } from '../auth.module-definition';
import type { AuthModuleOptions } from '../auth.options';
import { TokenService } from '../tokens/token.service';

export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type OriginRefusal = 'cross_site_fetch' | 'foreign_origin';

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE_METHODS.has(method);
}

/**
 * CSRF defence in two layers (OWASP CSRF Prevention Cheat Sheet):
 * 1. Origin / Fetch Metadata: an unsafe request whose `Sec-Fetch-Site` is `cross-site`, or
 *    whose `Origin` is neither this server's nor in APP_ORIGINS, is refused. A request with
 *    no `Origin` (curl, server-to-server) passes this layer.
 * 2. A signed double-submit token: `X-CSRF-Token` must equal the `csrf_token` cookie, and both
 *    must be `HMAC(csrfKey, sid)` for the authenticated session, so a cookie planted by a
 *    sibling subdomain cannot be paired with a header of the attacker's choosing.
 */
@Injectable()
export class CsrfService {
  private readonly appOrigins: ReadonlySet<string>;

  constructor(
    private readonly tokens: TokenService,
    private readonly cookies: AuthCookies,
    @InjectAuthOptions() options: AuthModuleOptions,
  ) {
    this.appOrigins = new Set(options.appOrigins.map((origin) => new URL(origin).origin));
  }

  /** Why this unsafe request must be refused as cross-origin, or undefined when it may pass. */
  originRefusal(request: GatehouseRequest): OriginRefusal | undefined {
    const origin = singleHeader(request.headers.origin);
    const listed = origin !== undefined && this.appOrigins.has(origin);
    if (singleHeader(request.headers['sec-fetch-site']) === 'cross-site' && !listed)
      return 'cross_site_fetch';
    if (origin === undefined || listed) return undefined;
    return sameOrigin(origin, request) ? undefined : 'foreign_origin';
  }

  /** Whether the request carries the CSRF token of this session, in header and cookie alike. */
  tokenMatches(request: GatehouseRequest, sessionId: string): boolean {
    const header = singleHeader(request.headers[CSRF_HEADER]);
    const cookie = this.cookies.csrfToken(request);
    if (header === undefined || cookie === undefined) return false;
    const expected = Buffer.from(this.tokens.csrfToken(sessionId));
    return (
      constantTimeEquals(Buffer.from(header), expected) &&
      constantTimeEquals(Buffer.from(cookie), expected)
    );
  }
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  // A repeated header is joined, so it never equals a single expected value (fails closed).
  if (Array.isArray(value)) return value.join(', ');
  return value === undefined || value === '' ? undefined : value;
}

function constantTimeEquals(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The request's own origin: its `Host` with the scheme the platform resolved (X-Forwarded-Proto
 * only under TRUST_PROXY). The default port of the scheme may be omitted on either side.
 */
function sameOrigin(origin: string, request: GatehouseRequest): boolean {
  const host = request.headers.host;
  if (host === undefined) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin === 'null') return false;
  let own: URL;
  try {
    own = new URL(`${request.protocol ?? 'http'}://${host}`);
  } catch {
    return false;
  }
  return parsed.origin === own.origin;
}
