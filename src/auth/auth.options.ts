/**
 * Everything AuthModule needs, mapped by the host application from its own config
 * (AppModule maps AppConfig). Durations are in seconds.
 */
export interface AuthModuleOptions {
  jwt: {
    /** HS256 key material; at least 32 bytes. Refresh and CSRF keys are derived from it. */
    secret: string;
    accessTtl: number;
    issuer: string;
    audience: string;
    /** Also accept `Authorization: Bearer` (off by default: the cookie is the only carrier). */
    allowBearer: boolean;
  };
  session: {
    /** Lifetime of one refresh token (sliding), and of the CSRF cookie. */
    refreshTtl: number;
    /** How long a just-rotated refresh token may still be presented (parallel tabs). */
    reuseGrace: number;
    /** A session ends this long after login, whatever the refreshes. */
    absoluteTtl: number;
  };
  cookies: { secure: boolean };
  /** Origins, besides the request's own, allowed to send unsafe requests (exact match). */
  appOrigins: string[];
  /** Bound of the process-local revocation cache (entries). */
  sessionCacheSize?: number;
}
