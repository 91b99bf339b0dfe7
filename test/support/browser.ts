import type { ServerProcess } from './process';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  /** The error code of an error body (API.md), when there is one. */
  code?: string;
  headers: Headers;
  elapsedMs: number;
}

/**
 * One browser against spawned server processes: its own cookies (set and cleared as the
 * server says), the CSRF header on unsafe methods, sent to whichever instance it is asked.
 */
export class Browser {
  readonly cookies: Record<string, string> = {};

  /** Another client holding the same cookies (a second tab, or a thief). */
  copy(): Browser {
    const twin = new Browser();
    Object.assign(twin.cookies, this.cookies);
    return twin;
  }

  async send(server: ServerProcess, method: string, path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    const cookie = Object.entries(this.cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
    if (cookie) headers.Cookie = cookie;
    if (method !== 'GET' && this.cookies.csrf_token)
      headers['X-CSRF-Token'] = this.cookies.csrf_token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const started = Date.now();
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const elapsedMs = Date.now() - started;
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (value === '' || /max-age=0(;|$)/i.test(header)) delete this.cookies[name];
      else this.cookies[name] = value;
    }
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    return {
      status: response.status,
      body: parsed,
      code: typeof parsed.code === 'string' ? parsed.code : undefined,
      headers: response.headers,
      elapsedMs,
    };
  }

  login(server: ServerProcess, username: string, password: string): Promise<Reply> {
    return this.send(server, 'POST', '/auth/login', { username, password });
  }

  me(server: ServerProcess): Promise<Reply> {
    return this.send(server, 'GET', '/auth/me');
  }
}
