import { isIP } from 'node:net';
// The module options are the schema: config maps the environment onto them, nothing more.
import type { ReviewOptions } from '../audit/review';
import type { LoginThrottleOptions } from '../auth';
import { SETTINGS as S } from './config.schema';
import { ConfigError, Env, EnvReader } from './env.parsers';
import { resolveSecret } from './secrets';
import { SettingsReader } from './settings-reader';

export type DatabaseKind = 'sqlite' | 'postgres';

/**
 * The whole configuration, validated once at start. Every duration is in seconds.
 * Modules never read `process.env`: AppModule maps this object onto their options.
 */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  log: { level: string; format: 'json' | 'pretty' };
  database: { url: string; kind: DatabaseKind; timeoutMs: number; poolSize: number };
  redis: { url?: string; keyPrefix: string; heartbeatMs: number };
  http: {
    /** `HTTP_ADAPTER`: the platform the service runs on. */
    adapter: 'express' | 'fastify';
    trustProxy: false | number | string[];
    appOrigins: string[];
    rateLimitPerMinute: number;
    bodyLimitBytes: number;
  };
  jwt: {
    secret: string;
    accessTtl: number;
    issuer: string;
    audience: string;
    allowBearer: boolean;
  };
  session: { refreshTtl: number; reuseGrace: number; absoluteTtl: number };
  cookies: { secure: boolean };
  throttle: LoginThrottleOptions;
  password: { memoryCost: number; timeCost: number; parallelism: number };
  /** Login password checks that may wait for a hashing slot (API.md "Under a flood"). */
  loginHashQueueSize: number;
  bootstrapAdmin: { username?: string; password?: string };
  audit: { logDir: string; retentionDays: number; sealKey: string; fileSink: boolean };
  review: ReviewOptions;
  metrics: { enabled: boolean; allowIps: string[]; token?: string };
  /** The browser console at `/` (`WEB_ENABLED`). */
  web: { enabled: boolean };
}

const PLACEHOLDER_SECRETS = [
  'changeme',
  'change-me',
  'secret',
  'your-secret',
  'your_jwt_secret',
  'replace-me',
  'please-change',
  'example',
];

function timeZoneIsValid(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const TRUST_PROXY_HELP =
  'must be a hop count or a list of addresses, CIDRs, loopback, linklocal or uniquelocal';

/**
 * Express's `trust proxy`, checked here so that no value reaches proxy-addr that it would
 * throw on (a stack trace at start) or that trusts every peer: `true`, and any `/0` CIDR
 * (`0.0.0.0/0`, `::/0`) would let any client choose its own IP, and so its throttle keys.
 */
function parseTrustProxy(reader: EnvReader): false | number | string[] {
  const value = reader.raw('TRUST_PROXY');
  if (value === undefined || ['false', 'off', '0'].includes(value.toLowerCase())) return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 100) throw new ConfigError('TRUST_PROXY', `hop count must be 1 to 100, got ${hops}`);
    return hops;
  }
  if (['true', 'yes', 'on', '*'].includes(value.toLowerCase())) {
    throw new ConfigError(
      'TRUST_PROXY',
      `"${value}" would trust every client; ${TRUST_PROXY_HELP}`,
    );
  }
  const entries = reader.list('TRUST_PROXY');
  for (const entry of entries) {
    if (TRUST_PROXY_NAMES.includes(entry)) continue;
    if (!isIpOrCidr(entry)) {
      throw new ConfigError('TRUST_PROXY', `${TRUST_PROXY_HELP}; "${entry}" is none of these`);
    }
    if (/\/0+$/.test(entry)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `"${entry}" would trust every client; ${TRUST_PROXY_HELP}`,
      );
    }
  }
  return entries;
}

/**
 * `10.0.0.1`, `::1`, `10.0.0.0/8` or `fd00::/8`: what node:net accepts as an address (dotted
 * decimal without leading zeros, no zone id) with a decimal prefix within the family's bits.
 */
function isIpOrCidr(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined || address.includes('%')) return false;
  return (
    prefix === undefined ||
    (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
  );
}

function parseDatabaseUrl(url: string): DatabaseKind {
  if (url.startsWith('sqlite:')) {
    if (url.length <= 'sqlite:'.length)
      throw new ConfigError('DATABASE_URL', 'names no SQLite file');
    return 'sqlite';
  }
  if (/^postgres(ql)?:\/\/[^\s]+$/.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return 'postgres';
  }
  throw new ConfigError('DATABASE_URL', 'must start with sqlite: or postgres://');
}

function parseOrigins(reader: EnvReader): string[] {
  const origins = reader.list('APP_ORIGINS');
  for (const origin of origins) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError(
        'APP_ORIGINS',
        `"${origin}" is not an origin such as https://app.example.com`,
      );
    }
    if (parsed.origin !== origin) {
      throw new ConfigError(
        'APP_ORIGINS',
        `"${origin}" must be an exact origin (scheme, host, port), no path`,
      );
    }
  }
  return origins;
}

export function loadAppConfig(env: Env = process.env): AppConfig {
  const reader = new EnvReader(env);
  // Defaults and bounds come from the settings table (config.schema.ts).
  const settings = new SettingsReader(reader);
  const nodeEnv = settings.oneOf(S.NODE_ENV);
  const production = nodeEnv === 'production';
  const dataDir = settings.string(S.DATA_DIR);
  const databaseUrl = settings.string(S.DATABASE_URL);
  const databaseKind = parseDatabaseUrl(databaseUrl);
  const redisUrl = settings.optional(S.REDIS_URL);
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }
  const metricsToken = settings.optional(S.METRICS_TOKEN);
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  }
  const metricsEnabled = settings.boolean(S.METRICS_ENABLED);
  const metricsAllowIps = settings.list(S.METRICS_ALLOW_IPS);
  for (const entry of metricsAllowIps) {
    if (!isIpOrCidr(entry)) {
      throw new ConfigError(
        'METRICS_ALLOW_IPS',
        `"${entry}" is neither an IP address nor a CIDR such as 10.0.0.0/8`,
      );
    }
  }
  if (metricsEnabled && metricsAllowIps.length === 0 && metricsToken === undefined) {
    throw new ConfigError(
      'METRICS_ENABLED',
      'needs METRICS_ALLOW_IPS or METRICS_TOKEN: /metrics is never public',
    );
  }
  const secretOptions = { production, dataDir, placeholders: PLACEHOLDER_SECRETS };
  const jwtSecret = resolveSecret(env, 'JWT_SECRET', secretOptions);
  const sealKey = resolveSecret(env, 'AUDIT_SEAL_KEY', secretOptions);
  // One key, one use (RFC 8725 §3.1 spirit): whoever may read seals must not be able to mint tokens.
  if (jwtSecret === sealKey) {
    throw new ConfigError('AUDIT_SEAL_KEY', 'must differ from JWT_SECRET');
  }

  return {
    env: nodeEnv,
    port: settings.integer(S.PORT),
    host: settings.string(S.HOST),
    dataDir,
    log: {
      level: settings.oneOf(S.LOG_LEVEL),
      format: settings.oneOf(S.LOG_FORMAT, production ? 'json' : 'pretty'),
    },
    database: {
      url: databaseUrl,
      kind: databaseKind,
      timeoutMs: settings.integer(S.DB_TIMEOUT_MS),
      poolSize: settings.integer(S.DB_POOL_SIZE),
    },
    redis: {
      url: redisUrl,
      keyPrefix: settings.string(S.REDIS_KEY_PREFIX),
      heartbeatMs: settings.integer(S.REDIS_HEARTBEAT_MS),
    },
    http: {
      adapter: settings.oneOf(S.HTTP_ADAPTER),
      trustProxy: parseTrustProxy(reader),
      appOrigins: parseOrigins(reader),
      rateLimitPerMinute: settings.integer(S.RATE_LIMIT_PER_MINUTE),
      bodyLimitBytes: 16 * 1024,
    },
    jwt: {
      secret: jwtSecret,
      accessTtl: settings.duration(S.JWT_ACCESS_TTL),
      issuer: settings.string(S.JWT_ISSUER),
      audience: settings.string(S.JWT_AUDIENCE),
      allowBearer: settings.boolean(S.AUTH_ALLOW_BEARER),
    },
    session: {
      refreshTtl: settings.duration(S.REFRESH_TTL),
      reuseGrace: settings.duration(S.REFRESH_REUSE_GRACE),
      absoluteTtl: settings.duration(S.SESSION_ABSOLUTE_TTL),
    },
    cookies: { secure: settings.boolean(S.COOKIE_SECURE, production) },
    throttle: {
      pairMaxFailures: settings.integer(S.LOGIN_PAIR_MAX_FAILURES),
      pairWindow: settings.duration(S.LOGIN_PAIR_WINDOW),
      pairLock: settings.duration(S.LOGIN_PAIR_LOCK),
      pairLockMax: settings.duration(S.LOGIN_PAIR_LOCK_MAX),
      userMaxFailures: settings.integer(S.LOGIN_USER_MAX_FAILURES),
      userWindow: settings.duration(S.LOGIN_USER_WINDOW),
      userLock: settings.duration(S.LOGIN_USER_LOCK),
      ipMaxFailures: settings.integer(S.LOGIN_IP_MAX_FAILURES),
      ipWindow: settings.duration(S.LOGIN_IP_WINDOW),
      ipBlock: settings.duration(S.LOGIN_IP_BLOCK),
    },
    password: {
      memoryCost: settings.integer(S.ARGON2_MEMORY_KIB),
      timeCost: settings.integer(S.ARGON2_TIME_COST),
      parallelism: settings.integer(S.ARGON2_PARALLELISM),
    },
    loginHashQueueSize: settings.integer(S.LOGIN_HASH_QUEUE_SIZE),
    bootstrapAdmin: {
      username: settings.optional(S.BOOTSTRAP_ADMIN_USERNAME),
      password: env.BOOTSTRAP_ADMIN_PASSWORD || undefined,
    },
    audit: {
      logDir: settings.string(S.AUDIT_LOG_DIR),
      retentionDays: settings.integer(S.AUDIT_RETENTION_DAYS),
      sealKey,
      fileSink: settings.boolean(S.AUDIT_FILE_ENABLED),
    },
    review: loadReviewOptions(env),
    metrics: {
      enabled: metricsEnabled,
      allowIps: metricsAllowIps,
      token: metricsToken,
    },
    web: { enabled: settings.boolean(S.WEB_ENABLED) },
  };
}

/**
 * The review settings alone: what the offline review (`audit:review --file`) needs. It reads
 * no secret and writes nothing, unlike `loadAppConfig`, which may generate secrets.
 */
export function loadReviewOptions(env: Env = process.env): ReviewOptions {
  const settings = new SettingsReader(new EnvReader(env));
  const timeZone = settings.string(S.REVIEW_TIMEZONE);
  if (!timeZoneIsValid(timeZone)) {
    throw new ConfigError(
      'REVIEW_TIMEZONE',
      `"${timeZone}" is not an IANA time zone such as Europe/Paris`,
    );
  }
  return {
    enabled: settings.boolean(S.REVIEW_ENABLED),
    timeZone,
    reportDir: settings.string(S.REPORT_DIR),
    thresholds: {
      bruteForceFailures: settings.integer(S.REVIEW_BRUTE_FORCE_FAILURES),
      sprayingUsernames: settings.integer(S.REVIEW_SPRAYING_USERNAMES),
      stuffingIps: settings.integer(S.REVIEW_STUFFING_IPS),
      stuffingUsernames: settings.integer(S.REVIEW_STUFFING_USERNAMES),
      distributedIps: settings.integer(S.REVIEW_DISTRIBUTED_IPS),
      distributedFailures: settings.integer(S.REVIEW_DISTRIBUTED_FAILURES),
      successAfterFailures: settings.integer(S.REVIEW_SUCCESS_AFTER_FAILURES),
      enumerationUnknown: settings.integer(S.REVIEW_ENUMERATION_UNKNOWN),
      lockoutBurstAccounts: settings.integer(S.REVIEW_LOCKOUT_BURST_ACCOUNTS),
      lockoutBurstWindow: settings.duration(S.REVIEW_LOCKOUT_BURST_WINDOW),
    },
    ipBlockBase: settings.duration(S.REVIEW_IP_BLOCK),
    ipBlockMax: settings.duration(S.REVIEW_IP_BLOCK_MAX),
    accountLock: settings.duration(S.REVIEW_ACCOUNT_LOCK),
  };
}
