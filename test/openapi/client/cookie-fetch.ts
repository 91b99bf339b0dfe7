/**
 * A fetch for openapi-fetch that keeps a cookie jar, as a browser would: it sends the cookies
 * it was given and applies `Set-Cookie` (a `Max-Age=0` clears). Paths and flags are ignored:
 * one origin, and the server's cookie attributes are tested elsewhere.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  names(): string[] {
    return [...this.cookies.keys()].sort();
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    const headers = new Headers(request.headers);
    if (this.cookies.size > 0) {
      headers.set(
        'cookie',
        [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      );
    }
    const response = await fetch(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const cleared = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (cleared || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  };
}
