import { isIP } from 'node:net';
// The module options are the schema: config maps the environment onto them, nothing more.
import type { ReviewOptions } from '../audit/review/review.options';
import type { LoginThrottleOptions } from '../auth/throttle/login-throttle.module-definition';
import { ConfigError, Env, EnvReader } from './env.parsers';
import { resolveSecret } from './secrets';

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
  const nodeEnv = reader.oneOf('NODE_ENV', 'development', [
    'development',
    'production',
    'test',
  ] as const);
  const production = nodeEnv === 'production';
  const dataDir = reader.string('DATA_DIR', './data');
  const databaseUrl = reader.string('DATABASE_URL', 'sqlite:./data/gatehouse.db');
  const databaseKind = parseDatabaseUrl(databaseUrl);
  const redisUrl = reader.optionalString('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }
  const metricsToken = reader.optionalString('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  }
  const metricsEnabled = reader.bool('METRICS_ENABLED', false);
  const metricsAllowIps = reader.list('METRICS_ALLOW_IPS');
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
    port: reader.int('PORT', 3000, 0, 65535),
    host: reader.string('HOST', '0.0.0.0'),
    dataDir,
    log: {
      level: reader.oneOf('LOG_LEVEL', 'info', [
        'error',
        'warn',
        'info',
        'debug',
        'verbose',
      ] as const),
      format: reader.oneOf('LOG_FORMAT', production ? 'json' : 'pretty', [
        'json',
        'pretty',
      ] as const),
    },
    database: {
      url: databaseUrl,
      kind: databaseKind,
      timeoutMs: reader.int('DB_TIMEOUT_MS', 5000, 100, 600_000),
      poolSize: reader.int('DB_POOL_SIZE', 10, 1, 200),
    },
    redis: {
      url: redisUrl,
      keyPrefix: reader.string('REDIS_KEY_PREFIX', 'gatehouse:'),
      heartbeatMs: reader.int('REDIS_HEARTBEAT_MS', 1000, 100, 60_000),
    },
    http: {
      trustProxy: parseTrustProxy(reader),
      appOrigins: parseOrigins(reader),
      rateLimitPerMinute: reader.int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      bodyLimitBytes: 16 * 1024,
    },
    jwt: {
      secret: jwtSecret,
      accessTtl: reader.duration('JWT_ACCESS_TTL', '15m', 30, 86400),
      issuer: reader.string('JWT_ISSUER', 'gatehouse'),
      audience: reader.string('JWT_AUDIENCE', 'gatehouse-api'),
      allowBearer: reader.bool('AUTH_ALLOW_BEARER', false),
    },
    session: {
      refreshTtl: reader.duration('REFRESH_TTL', '7d', 60),
      reuseGrace: reader.duration('REFRESH_REUSE_GRACE', '10s', 0, 300),
      absoluteTtl: reader.duration('SESSION_ABSOLUTE_TTL', '30d', 60),
    },
    cookies: { secure: reader.bool('COOKIE_SECURE', production) },
    throttle: {
      pairMaxFailures: reader.int('LOGIN_PAIR_MAX_FAILURES', 5, 1, 1000),
      pairWindow: reader.duration('LOGIN_PAIR_WINDOW', '15m'),
      pairLock: reader.duration('LOGIN_PAIR_LOCK', '60s'),
      pairLockMax: reader.duration('LOGIN_PAIR_LOCK_MAX', '15m'),
      userMaxFailures: reader.int('LOGIN_USER_MAX_FAILURES', 20, 1, 100_000),
      userWindow: reader.duration('LOGIN_USER_WINDOW', '15m'),
      userLock: reader.duration('LOGIN_USER_LOCK', '15m'),
      ipMaxFailures: reader.int('LOGIN_IP_MAX_FAILURES', 50, 1, 1_000_000),
      ipWindow: reader.duration('LOGIN_IP_WINDOW', '15m'),
      ipBlock: reader.duration('LOGIN_IP_BLOCK', '15m'),
    },
    password: {
      memoryCost: reader.int('ARGON2_MEMORY_KIB', 19456, 19456, 4 * 1024 * 1024),
      timeCost: reader.int('ARGON2_TIME_COST', 2, 2, 100),
      parallelism: reader.int('ARGON2_PARALLELISM', 1, 1, 16),
    },
    loginHashQueueSize: reader.int('LOGIN_HASH_QUEUE_SIZE', 32, 1, 100_000),
    bootstrapAdmin: {
      username: reader.optionalString('BOOTSTRAP_ADMIN_USERNAME'),
      password: env.BOOTSTRAP_ADMIN_PASSWORD || undefined,
    },
    audit: {
      logDir: reader.string('AUDIT_LOG_DIR', './logs/audit'),
      retentionDays: reader.int('AUDIT_RETENTION_DAYS', 90, 1, 3650),
      sealKey,
      fileSink: reader.bool('AUDIT_FILE_ENABLED', true),
    },
    review: loadReviewOptions(env),
    metrics: {
      enabled: metricsEnabled,
      allowIps: metricsAllowIps,
      token: metricsToken,
    },
  };
}

/**
 * The review settings alone: what the offline review (`audit:review --file`) needs. It reads
 * no secret and writes nothing, unlike `loadAppConfig`, which may generate secrets.
 */
export function loadReviewOptions(env: Env = process.env): ReviewOptions {
  const reader = new EnvReader(env);
  const timeZone = reader.string('REVIEW_TIMEZONE', 'UTC');
  if (!timeZoneIsValid(timeZone)) {
    throw new ConfigError(
      'REVIEW_TIMEZONE',
      `"${timeZone}" is not an IANA time zone such as Europe/Paris`,
    );
  }
  return {
    enabled: reader.bool('REVIEW_ENABLED', true),
    timeZone,
    reportDir: reader.string('REPORT_DIR', './reports'),
    thresholds: {
      bruteForceFailures: reader.int('REVIEW_BRUTE_FORCE_FAILURES', 20, 1, 1_000_000),
      sprayingUsernames: reader.int('REVIEW_SPRAYING_USERNAMES', 10, 2, 1_000_000),
      stuffingIps: reader.int('REVIEW_STUFFING_IPS', 20, 2, 1_000_000),
      stuffingUsernames: reader.int('REVIEW_STUFFING_USERNAMES', 20, 2, 1_000_000),
      distributedIps: reader.int('REVIEW_DISTRIBUTED_IPS', 10, 2, 1_000_000),
      distributedFailures: reader.int('REVIEW_DISTRIBUTED_FAILURES', 20, 1, 1_000_000),
      successAfterFailures: reader.int('REVIEW_SUCCESS_AFTER_FAILURES', 5, 1, 1_000_000),
      enumerationUnknown: reader.int('REVIEW_ENUMERATION_UNKNOWN', 20, 1, 1_000_000),
      lockoutBurstAccounts: reader.int('REVIEW_LOCKOUT_BURST_ACCOUNTS', 5, 2, 1_000_000),
      lockoutBurstWindow: reader.duration('REVIEW_LOCKOUT_BURST_WINDOW', '10m'),
    },
    ipBlockBase: reader.duration('REVIEW_IP_BLOCK', '1h'),
    ipBlockMax: reader.duration('REVIEW_IP_BLOCK_MAX', '30d'),
    accountLock: reader.duration('REVIEW_ACCOUNT_LOCK', '1h'),
  };
}
