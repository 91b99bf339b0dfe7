/**
 * The one table of settings: name, type, default, bounds and meaning of every environment
 * variable that loadAppConfig reads. loadAppConfig takes each default and bound from here (through
 * SettingsReader), `npm run docs:config` writes docs/configuration.md and .env.example from it,
 * and config.schema.spec.ts fails when a variable is read but missing here, or listed but never
 * read. Adding a setting: one entry below, and one line in loadAppConfig mapping it onto the
 * options it feeds; then `npm run docs:config`.
 */

export const SETTING_SECTIONS = [
  'Runtime',
  'Storage',
  'Secrets',
  'Tokens and sessions',
  'HTTP',
  'Login throttling and lockout',
  'Password hashing',
  'First start',
  'Audit trail',
  'Nightly review',
  'Metrics',
] as const;
export type SettingSection = (typeof SETTING_SECTIONS)[number];

interface SettingBase {
  section: SettingSection;
  /** One or two sentences for people: what it changes, and when to change it. */
  meaning: string;
  /**
   * The default as people read it, when it is not one fixed value (e.g. it depends on NODE_ENV).
   * Such a setting is commented out in .env.example, so copying the file changes nothing.
   */
  defaultText?: string;
  /** What a value looks like, when the type alone does not say (shown in the docs). */
  format?: string;
  /** A value shown, commented out, in .env.example for a setting without a fixed default. */
  example?: string;
}

export interface IntegerSetting extends SettingBase {
  type: 'integer';
  default: number;
  min: number;
  max: number;
}

/** Durations are written `30s`, `15m`, `12h`, `7d` or whole seconds, and read as seconds. */
export interface DurationSetting extends SettingBase {
  type: 'duration';
  default: string;
  /** Bounds in seconds; EnvReader.duration's defaults (1 s .. 366 d) when absent. */
  min?: number;
  max?: number;
}

export interface BooleanSetting extends SettingBase {
  type: 'boolean';
  default: boolean;
}

/** A string; `default: undefined` means the setting is optional and unset by default. */
export interface StringSetting extends SettingBase {
  type: 'string';
  default: string | undefined;
}

/** Comma-separated; empty by default. */
export interface ListSetting extends SettingBase {
  type: 'list';
}

export interface EnumSetting extends SettingBase {
  type: 'enum';
  values: readonly string[];
  default: string;
}

/** Generated in development (kept in DATA_DIR/secrets.json), required in production. */
export interface SecretSetting extends SettingBase {
  type: 'secret';
}

export type Setting =
  | IntegerSetting
  | DurationSetting
  | BooleanSetting
  | StringSetting
  | ListSetting
  | EnumSetting
  | SecretSetting;

export type Named<S extends Setting = Setting> = S & { name: string };

function named<T extends Record<string, Setting>>(
  table: T,
): { [K in keyof T]: T[K] & { name: K } } {
  return Object.fromEntries(
    Object.entries(table).map(([name, setting]) => [name, { ...setting, name }]),
  ) as unknown as { [K in keyof T]: T[K] & { name: K } };
}

const MAX_COUNT = 1_000_000;

export const SETTINGS = named({
  // --- Runtime
  NODE_ENV: {
    section: 'Runtime',
    type: 'enum',
    values: ['development', 'production', 'test'] as const,
    default: 'development',
    meaning:
      '`production` requires `JWT_SECRET` and `AUDIT_SEAL_KEY` and turns on secure cookies and JSON logs.',
  },
  PORT: {
    section: 'Runtime',
    type: 'integer',
    default: 3000,
    min: 0,
    max: 65535,
    meaning: 'TCP port the server listens on.',
  },
  HOST: {
    section: 'Runtime',
    type: 'string',
    default: '0.0.0.0',
    meaning: 'Address the server listens on.',
  },
  DATA_DIR: {
    section: 'Runtime',
    type: 'string',
    default: './data',
    meaning:
      'Folder of the generated development secrets (`secrets.json`) and of the initial admin password; created owner-only (0700).',
  },
  LOG_LEVEL: {
    section: 'Runtime',
    type: 'enum',
    values: ['error', 'warn', 'info', 'debug', 'verbose'] as const,
    default: 'info',
    meaning: 'Level of the application log.',
  },
  LOG_FORMAT: {
    section: 'Runtime',
    type: 'enum',
    values: ['json', 'pretty'] as const,
    default: 'pretty',
    defaultText: '`json` in production, else `pretty`',
    example: 'json',
    meaning:
      'Application log format (nest-winston, one line per entry, with the request id). Audit events have their own files.',
  },

  // --- Storage
  DATABASE_URL: {
    section: 'Storage',
    type: 'string',
    default: 'sqlite:./data/gatehouse.db',
    format: '`sqlite:<file>` or `postgres://user:pass@host:5432/db`',
    meaning:
      'The database: an embedded SQLite file (one instance), or PostgreSQL (several instances; add `?sslmode=require` for TLS).',
  },
  DB_TIMEOUT_MS: {
    section: 'Storage',
    type: 'integer',
    default: 5000,
    min: 100,
    max: 600_000,
    meaning:
      'Longest wait, in milliseconds, for a connection, a lock or a statement. It bounds the whole answer: a request the database does not serve in time answers `503 SERVICE_UNAVAILABLE` within about this long (its audit event included), and `/health` within one timeout.',
  },
  DB_POOL_SIZE: {
    section: 'Storage',
    type: 'integer',
    default: 10,
    min: 1,
    max: 200,
    meaning:
      "PostgreSQL connections per instance; instances × pool size must stay under PostgreSQL's `max_connections`.",
  },
  REDIS_URL: {
    section: 'Storage',
    type: 'string',
    default: undefined,
    format: '`redis://[:password@]host:6379[/db]` or `rediss://…`',
    example: 'redis://127.0.0.1:6379',
    meaning:
      'Optional. Shares login throttle counters, the general rate limit and session revocations across instances.',
  },
  REDIS_HEARTBEAT_MS: {
    section: 'Storage',
    type: 'integer',
    default: 1000,
    min: 100,
    max: 60_000,
    meaning:
      'Redis liveness for session revocation, in milliseconds: the subscriber is pinged every half of it, and a Redis that stops answering (hung, not refused) counts as down, so the guard reads session states from the database within about this long.',
  },
  REDIS_KEY_PREFIX: {
    section: 'Storage',
    type: 'string',
    default: 'gatehouse:',
    meaning:
      'Prefix of every Redis key and channel: the same on every instance of one deployment, different between deployments sharing a Redis.',
  },

  // --- Secrets
  JWT_SECRET: {
    section: 'Secrets',
    type: 'secret',
    meaning:
      'HS256 key of the access tokens; at least 32 bytes and 128 bits of estimated entropy (no placeholder, no repeated pattern), different from `AUDIT_SEAL_KEY`. Generate one with `openssl rand -base64 48`.',
  },
  AUDIT_SEAL_KEY: {
    section: 'Secrets',
    type: 'secret',
    meaning:
      'HMAC key of the audit seals, of the JSON-lines MAC chain and of `sessionRef`; at least 32 bytes and 128 bits of estimated entropy, different from `JWT_SECRET`. Keep it: without it the audit trail cannot be verified.',
  },

  // --- Tokens and sessions
  JWT_ACCESS_TTL: {
    section: 'Tokens and sessions',
    type: 'duration',
    default: '15m',
    min: 30,
    max: 86400,
    meaning: 'Lifetime of the access token and of its cookie.',
  },
  JWT_ISSUER: {
    section: 'Tokens and sessions',
    type: 'string',
    default: 'gatehouse',
    meaning: '`iss` claim, checked on every request.',
  },
  JWT_AUDIENCE: {
    section: 'Tokens and sessions',
    type: 'string',
    default: 'gatehouse-api',
    meaning: '`aud` claim, checked on every request.',
  },
  AUTH_ALLOW_BEARER: {
    section: 'Tokens and sessions',
    type: 'boolean',
    default: false,
    meaning: 'Also accept `Authorization: Bearer` (cookies only by default).',
  },
  REFRESH_TTL: {
    section: 'Tokens and sessions',
    type: 'duration',
    default: '7d',
    min: 60,
    meaning: 'Lifetime of the refresh token and of the CSRF cookie.',
  },
  REFRESH_REUSE_GRACE: {
    section: 'Tokens and sessions',
    type: 'duration',
    default: '10s',
    min: 0,
    max: 300,
    meaning:
      'A reuse of the previous refresh token within this answers with the current tokens (parallel tabs); later, it revokes the session.',
  },
  SESSION_ABSOLUTE_TTL: {
    section: 'Tokens and sessions',
    type: 'duration',
    default: '30d',
    min: 60,
    meaning: 'A session ends this long after login, whatever the refreshes.',
  },
  COOKIE_SECURE: {
    section: 'Tokens and sessions',
    type: 'boolean',
    default: false,
    defaultText: '`true` in production, else `false`',
    example: 'true',
    meaning:
      '`Secure` cookies with `__Host-`/`__Secure-` names, and HSTS. Serve the API over HTTPS then.',
  },

  // --- HTTP
  HTTP_ADAPTER: {
    section: 'HTTP',
    type: 'enum',
    values: ['express', 'fastify'] as const,
    default: 'express',
    meaning:
      'The HTTP platform: `express` (@nestjs/platform-express) or `fastify` (@nestjs/platform-fastify, faster). The same routes, cookies, headers, limits and errors on both; see docs/deployment.md.',
  },
  APP_ORIGINS: {
    section: 'HTTP',
    type: 'list',
    format: 'exact origins such as `https://app.example.com`',
    example: 'https://app.example.com',
    meaning:
      "Browser origins besides the service's own allowed to send unsafe requests (and CORS with credentials).",
  },
  TRUST_PROXY: {
    section: 'HTTP',
    type: 'string',
    default: undefined,
    defaultText: 'off',
    format: 'a hop count, or addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`',
    example: 'loopback',
    meaning:
      '`trust proxy` (Express) / `trustProxy` (Fastify): behind a reverse proxy, which hops may set `X-Forwarded-For`: a hop count (1–100, alone) or a list of addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`. `true`, `0.0.0.0/0` and `::/0` (trust everyone) are refused. Trust only your own proxies; see docs/deployment.md.',
  },
  RATE_LIMIT_PER_MINUTE: {
    section: 'HTTP',
    type: 'integer',
    default: 600,
    min: 1,
    max: MAX_COUNT,
    meaning:
      'General requests per minute per client IP (every route but `/health*` and `/metrics`).',
  },

  // --- Login throttling and lockout
  LOGIN_PAIR_MAX_FAILURES: {
    section: 'Login throttling and lockout',
    type: 'integer',
    default: 5,
    min: 1,
    max: 1000,
    meaning:
      'Consecutive failures of one (username, IP) pair within `LOGIN_PAIR_WINDOW` that lock it.',
  },
  LOGIN_PAIR_WINDOW: {
    section: 'Login throttling and lockout',
    type: 'duration',
    default: '15m',
    meaning: 'Window of the pair counter.',
  },
  LOGIN_PAIR_LOCK: {
    section: 'Login throttling and lockout',
    type: 'duration',
    default: '60s',
    meaning: 'First pair lock; it doubles with each repeated lock, up to `LOGIN_PAIR_LOCK_MAX`.',
  },
  LOGIN_PAIR_LOCK_MAX: {
    section: 'Login throttling and lockout',
    type: 'duration',
    default: '15m',
    meaning: 'Cap of the doubling pair lock.',
  },
  LOGIN_USER_MAX_FAILURES: {
    section: 'Login throttling and lockout',
    type: 'integer',
    default: 20,
    min: 1,
    max: 100_000,
    meaning:
      'Failures across all IPs within `LOGIN_USER_WINDOW` that lock a username, for IPs that never logged into it.',
  },
  LOGIN_USER_WINDOW: {
    section: 'Login throttling and lockout',
    type: 'duration',
    default: '15m',
    meaning: 'Window of the username counter.',
  },
  LOGIN_USER_LOCK: {
    section: 'Login throttling and lockout',
    type: 'duration',
    default: '15m',
    meaning: 'Username lock.',
  },
  LOGIN_IP_MAX_FAILURES: {
    section: 'Login throttling and lockout',
    type: 'integer',
    default: 50,
    min: 1,
    max: MAX_COUNT,
    meaning: 'Failures from one IP within `LOGIN_IP_WINDOW` that block it, for every username.',
  },
  LOGIN_IP_WINDOW: {
    section: 'Login throttling and lockout',
    type: 'duration',
    default: '15m',
    meaning: 'Window of the IP counter.',
  },
  LOGIN_IP_BLOCK: {
    section: 'Login throttling and lockout',
    type: 'duration',
    default: '15m',
    meaning: 'IP block.',
  },

  // --- Password hashing
  ARGON2_MEMORY_KIB: {
    section: 'Password hashing',
    type: 'integer',
    default: 19456,
    min: 19456,
    max: 4 * 1024 * 1024,
    meaning:
      'argon2id memory in KiB; never below the OWASP minimum. Stored hashes with weaker parameters are rehashed at the next login.',
  },
  ARGON2_TIME_COST: {
    section: 'Password hashing',
    type: 'integer',
    default: 2,
    min: 2,
    max: 100,
    meaning: 'argon2id iterations.',
  },
  ARGON2_PARALLELISM: {
    section: 'Password hashing',
    type: 'integer',
    default: 1,
    min: 1,
    max: 16,
    meaning: 'argon2id lanes.',
  },

  LOGIN_HASH_QUEUE_SIZE: {
    section: 'Password hashing',
    type: 'integer',
    default: 64,
    min: 1,
    max: 100_000,
    meaning:
      'Login password checks that may wait for a hashing slot; past it a login gets `503 LOGIN_BUSY` with `Retry-After`. Logins from a (username, IP) pair that succeeded before are served first.',
  },

  // --- First start
  BOOTSTRAP_ADMIN_USERNAME: {
    section: 'First start',
    type: 'string',
    default: undefined,
    meaning:
      'The first admin, created when the user table is empty. Unset: `admin`, with a random password written to `DATA_DIR/initial-admin-password`.',
  },
  BOOTSTRAP_ADMIN_PASSWORD: {
    section: 'First start',
    type: 'string',
    default: undefined,
    meaning: "The first admin's password (used as given, never trimmed).",
  },

  // --- Audit trail
  AUDIT_LOG_DIR: {
    section: 'Audit trail',
    type: 'string',
    default: './logs/audit',
    meaning:
      'Folder of the JSON-lines files `audit-YYYY-MM-DD.jsonl` (one per instance: never shared between processes).',
  },
  AUDIT_FILE_ENABLED: {
    section: 'Audit trail',
    type: 'boolean',
    default: true,
    meaning: 'Write the JSON-lines audit files; `false` keeps events in the database only.',
  },
  AUDIT_RETENTION_DAYS: {
    section: 'Audit trail',
    type: 'integer',
    default: 90,
    min: 1,
    max: 3650,
    meaning: 'Days of audit events kept in the database and in the rotated files.',
  },

  // --- Nightly review
  REVIEW_ENABLED: {
    section: 'Nightly review',
    type: 'boolean',
    default: true,
    meaning:
      'Run the 23:00 review on this instance (`false` registers the job without starting it; the database lease makes extra instances harmless anyway).',
  },
  REVIEW_TIMEZONE: {
    section: 'Nightly review',
    type: 'string',
    default: 'UTC',
    format: 'an IANA time zone such as `Europe/Paris`',
    meaning: 'Zone of the 23:00 schedule and of the report names.',
  },
  REPORT_DIR: {
    section: 'Nightly review',
    type: 'string',
    default: './reports',
    meaning: 'Folder of the Markdown report of each run, `review-<run id>.md`.',
  },
  REVIEW_BRUTE_FORCE_FAILURES: {
    section: 'Nightly review',
    type: 'integer',
    default: 20,
    min: 1,
    max: MAX_COUNT,
    meaning: 'Failures on one account in a window that make a brute-force finding.',
  },
  REVIEW_SPRAYING_USERNAMES: {
    section: 'Nightly review',
    type: 'integer',
    default: 10,
    min: 2,
    max: MAX_COUNT,
    meaning: 'Distinct usernames failed from one IP (password spraying).',
  },
  REVIEW_STUFFING_IPS: {
    section: 'Nightly review',
    type: 'integer',
    default: 20,
    min: 2,
    max: MAX_COUNT,
    meaning: 'Distinct IPs of a credential-stuffing wave.',
  },
  REVIEW_STUFFING_USERNAMES: {
    section: 'Nightly review',
    type: 'integer',
    default: 20,
    min: 2,
    max: MAX_COUNT,
    meaning: 'Distinct usernames of a credential-stuffing wave.',
  },
  REVIEW_DISTRIBUTED_IPS: {
    section: 'Nightly review',
    type: 'integer',
    default: 10,
    min: 2,
    max: MAX_COUNT,
    meaning: 'Distinct IPs failing on one account (distributed attack).',
  },
  REVIEW_DISTRIBUTED_FAILURES: {
    section: 'Nightly review',
    type: 'integer',
    default: 20,
    min: 1,
    max: MAX_COUNT,
    meaning: 'Checked failures on one account that a distributed-attack finding also needs.',
  },
  REVIEW_SUCCESS_AFTER_FAILURES: {
    section: 'Nightly review',
    type: 'integer',
    default: 5,
    min: 1,
    max: MAX_COUNT,
    meaning: 'Failures before a success that make a possible compromise.',
  },
  REVIEW_ENUMERATION_UNKNOWN: {
    section: 'Nightly review',
    type: 'integer',
    default: 20,
    min: 1,
    max: MAX_COUNT,
    meaning: 'Failures for unknown usernames from one IP (enumeration).',
  },
  REVIEW_LOCKOUT_BURST_ACCOUNTS: {
    section: 'Nightly review',
    type: 'integer',
    default: 5,
    min: 2,
    max: MAX_COUNT,
    meaning:
      'Accounts locked within `REVIEW_LOCKOUT_BURST_WINDOW` that make a lockout-burst finding (an attack on the lockout itself).',
  },
  REVIEW_LOCKOUT_BURST_WINDOW: {
    section: 'Nightly review',
    type: 'duration',
    default: '10m',
    meaning: 'Sliding window of the lockout-burst rule.',
  },
  REVIEW_IP_BLOCK: {
    section: 'Nightly review',
    type: 'duration',
    default: '1h',
    meaning:
      'First IP block placed by the review; it doubles for repeat offenders, up to `REVIEW_IP_BLOCK_MAX`.',
  },
  REVIEW_IP_BLOCK_MAX: {
    section: 'Nightly review',
    type: 'duration',
    default: '30d',
    meaning: 'Cap of the doubling IP block.',
  },
  REVIEW_ACCOUNT_LOCK: {
    section: 'Nightly review',
    type: 'duration',
    default: '1h',
    meaning: 'Account lock placed by the review.',
  },

  // --- Metrics
  WEB_ENABLED: {
    section: 'HTTP',
    type: 'boolean',
    default: true,
    meaning:
      'Serve the browser console at `/` (its pages and fingerprinted assets). Off: those paths answer the JSON `404` of any unknown path.',
  },
  METRICS_ENABLED: {
    section: 'Metrics',
    type: 'boolean',
    default: false,
    meaning:
      'Serve `/metrics` (Prometheus text). Needs `METRICS_ALLOW_IPS` or `METRICS_TOKEN`: it is never public; without metrics the route is `404`.',
  },
  METRICS_ALLOW_IPS: {
    section: 'Metrics',
    type: 'list',
    format: 'IP addresses or CIDRs',
    example: '127.0.0.1',
    meaning: 'Client IPs or CIDRs allowed to read `/metrics`.',
  },
  METRICS_TOKEN: {
    section: 'Metrics',
    type: 'string',
    default: undefined,
    format: 'at least 16 characters',
    meaning: '`Authorization: Bearer` token allowed to read `/metrics`.',
  },
});

export type SettingName = keyof typeof SETTINGS;

/** Every setting, in table order. */
export function allSettings(): Named[] {
  return Object.values(SETTINGS);
}
