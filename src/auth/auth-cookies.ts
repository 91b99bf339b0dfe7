import { GatehouseRequest, GatehouseResponse, HttpResponseWriter, readCookie } from '../common';

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

  constructor(
    private readonly secure: boolean,
    /** Writes the `Set-Cookie` lines on the running platform (HttpPlatform). */
    private readonly responses: HttpResponseWriter,
  ) {
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

  setSession(response: GatehouseResponse, values: SessionCookieValues): void {
    this.responses.appendSetCookie(response, [
      this.serialize(this.access, values.accessToken, values.accessMaxAge),
      this.serialize(this.refresh, values.refreshToken, values.refreshMaxAge),
      this.serialize(this.csrf, values.csrfToken, values.refreshMaxAge),
    ]);
  }

  clearSession(response: GatehouseResponse): void {
    this.responses.appendSetCookie(response, [
      this.serialize(this.access, '', 0),
      this.serialize(this.refresh, '', 0),
      this.serialize(this.csrf, '', 0),
    ]);
  }

  accessToken(request: GatehouseRequest): string | undefined {
    return readCookie(request, this.names.access);
  }

  refreshToken(request: GatehouseRequest): string | undefined {
    return readCookie(request, this.names.refresh);
  }

  csrfToken(request: GatehouseRequest): string | undefined {
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
