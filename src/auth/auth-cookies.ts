import type { Request, Response } from 'express';

export interface CookieNames {
  access: string;
  refresh: string;
  csrf: string;
}

interface CookieSpec {
  name: string;
  path: string;
  httpOnly: boolean;
  sameSite: 'Strict' | 'Lax';
}

export interface SessionCookieValues {
  accessToken: string;
  accessMaxAge: number;
  refreshToken: string;
  refreshMaxAge: number;
  csrfToken: string;
}

/**
 * The one place that knows cookie names and flags (API.md "Cookies"). When secure, names get
 * the `__Host-` prefix (Secure, Path=/, no Domain: the browser pins the cookie to this exact
 * host) or `__Secure-` for the refresh cookie, whose Path=/auth rules out `__Host-`.
 * No cookie ever sets Domain. Clearing repeats the path and flags with Max-Age=0, since a
 * browser only replaces a cookie whose name, path and prefix rules match.
 */
export class AuthCookies {
  readonly names: CookieNames;
  private readonly access: CookieSpec;
  private readonly refresh: CookieSpec;
  private readonly csrf: CookieSpec;

  constructor(private readonly secure: boolean) {
    this.names = secure
      ? {
          access: '__Host-access_token',
          refresh: '__Secure-refresh_token',
          csrf: '__Host-csrf_token',
        }
      : { access: 'access_token', refresh: 'refresh_token', csrf: 'csrf_token' };
    this.access = { name: this.names.access, path: '/', httpOnly: true, sameSite: 'Lax' };
    this.refresh = { name: this.names.refresh, path: '/auth', httpOnly: true, sameSite: 'Strict' };
    // Readable by scripts on purpose: the page copies it into X-CSRF-Token (double submit).
    this.csrf = { name: this.names.csrf, path: '/', httpOnly: false, sameSite: 'Lax' };
  }

  setSession(response: Response, values: SessionCookieValues): void {
    response.append('Set-Cookie', [
      this.serialize(this.access, values.accessToken, values.accessMaxAge),
      this.serialize(this.refresh, values.refreshToken, values.refreshMaxAge),
      this.serialize(this.csrf, values.csrfToken, values.refreshMaxAge),
    ]);
  }

  clearSession(response: Response): void {
    response.append('Set-Cookie', [
      this.serialize(this.access, '', 0),
      this.serialize(this.refresh, '', 0),
      this.serialize(this.csrf, '', 0),
    ]);
  }

  accessToken(request: Request): string | undefined {
    return readCookie(request, this.names.access);
  }

  refreshToken(request: Request): string | undefined {
    return readCookie(request, this.names.refresh);
  }

  csrfToken(request: Request): string | undefined {
    return readCookie(request, this.names.csrf);
  }

  private serialize(spec: CookieSpec, value: string, maxAgeSeconds: number): string {
    const parts = [
      `${spec.name}=${value}`,
      `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
      `Path=${spec.path}`,
    ];
    if (spec.httpOnly) parts.push('HttpOnly');
    if (this.secure) parts.push('Secure');
    parts.push(`SameSite=${spec.sameSite}`);
    return parts.join('; ');
  }
}

/**
 * The parsed cookies when a cookie parser ran (the service, Gatehouse's own routes), else the
 * raw `Cookie` header: a host route behind the global guard reads the same cookie without any
 * set-up of the host's. First occurrence wins, as in cookie-parser.
 */
function readCookie(request: Request, name: string): string | undefined {
  const parsed = request.cookies as Record<string, unknown> | undefined;
  const value =
    parsed !== undefined ? parsed[name] : fromCookieHeader(request.headers.cookie, name);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function fromCookieHeader(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index === -1 || pair.slice(0, index).trim() !== name) continue;
    const raw = pair.slice(index + 1).trim();
    const unquoted = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    try {
      return decodeURIComponent(unquoted);
    } catch {
      return unquoted;
    }
  }
  return undefined;
}
