import express from 'express';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from './app-config';
import { ConfigError, parseDurationSeconds } from './env.parsers';
import { estimateSecretBits } from './secret-strength';

const SECRET = 'k'.repeat(20) + 'Zx9-Qw7!Lm3#Vb8$Ty2%';

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'gh-config-'));
}

function productionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: SECRET,
    AUDIT_SEAL_KEY: `${SECRET}-seal`,
    DATA_DIR: dataDir(),
    ...extra,
  };
}

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAppConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadAppConfig({ DATA_DIR: dataDir() });
    expect(config.database).toMatchObject({ url: 'sqlite:./data/gatehouse.db', kind: 'sqlite' });
    expect(config.jwt).toMatchObject({
      accessTtl: 900,
      issuer: 'gatehouse',
      audience: 'gatehouse-api',
      allowBearer: false,
    });
    expect(config.session).toEqual({
      refreshTtl: 7 * 86400,
      reuseGrace: 10,
      absoluteTtl: 30 * 86400,
    });
    expect(config.http.rateLimitPerMinute).toBe(600);
    expect(config.http.trustProxy).toBe(false);
    expect(config.cookies.secure).toBe(false);
    expect(config.throttle).toMatchObject({
      pairMaxFailures: 5,
      pairLock: 60,
      pairLockMax: 900,
      userMaxFailures: 20,
      ipMaxFailures: 50,
    });
    expect(config.password).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it('refuses to start in production without JWT_SECRET, naming the variable', () => {
    const env = productionEnv();
    delete (env as Record<string, string | undefined>).JWT_SECRET;
    const error = configErrorOf(env);
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).toBe(
      'Invalid configuration: JWT_SECRET is required when NODE_ENV=production',
    );
  });

  it('refuses a missing AUDIT_SEAL_KEY, a short secret and a placeholder in production', () => {
    const noSeal = productionEnv();
    delete (noSeal as Record<string, string | undefined>).AUDIT_SEAL_KEY;
    expect(configErrorOf(noSeal).variable).toBe('AUDIT_SEAL_KEY');
    expect(configErrorOf(productionEnv({ JWT_SECRET: 'short' })).message).toContain(
      'at least 32 bytes',
    );
    expect(
      configErrorOf(productionEnv({ JWT_SECRET: 'changeme-changeme-changeme-changeme-123' }))
        .message,
    ).toContain('placeholder');
  });

  it('turns secure cookies on by default in production', () => {
    expect(loadAppConfig(productionEnv()).cookies.secure).toBe(true);
    expect(loadAppConfig(productionEnv({ COOKIE_SECURE: 'false' })).cookies.secure).toBe(false);
  });

  it('generates missing development secrets once, keeps them with mode 0600 and reuses them', () => {
    const dir = dataDir();
    const first = loadAppConfig({ DATA_DIR: dir });
    const second = loadAppConfig({ DATA_DIR: dir });
    const file = join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(second.jwt.secret).toBe(first.jwt.secret);
    expect(first.jwt.secret).not.toBe(first.audit.sealKey);
    expect(Buffer.byteLength(first.jwt.secret)).toBeGreaterThanOrEqual(32);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('AUDIT_SEAL_KEY');
  });

  it.each([
    ['DATABASE_URL', 'mysql://localhost/db', 'must start with sqlite: or postgres://'],
    ['DATABASE_URL', 'postgres://', 'must start with sqlite: or postgres://'],
    ['REDIS_URL', 'localhost:6379', 'must start with redis://'],
    ['PORT', 'eighty', 'must be a whole number'],
    ['PORT', '70000', 'between 0 and 65535'],
    ['RATE_LIMIT_PER_MINUTE', '1.5', 'must be a whole number'],
    ['JWT_ACCESS_TTL', '15 minutes', 'must be a duration'],
    ['COOKIE_SECURE', 'maybe', 'true or false'],
    ['TRUST_PROXY', 'everyone', 'hop count'],
    ['APP_ORIGINS', 'https://app.example.com/path', 'exact origin'],
    ['REVIEW_TIMEZONE', 'Mars/Olympus', 'IANA time zone'],
    ['ARGON2_MEMORY_KIB', '4096', 'between 19456'],
  ])('rejects %s=%s with one clear line', (variable, value, reason) => {
    const error = configErrorOf({ DATA_DIR: dataDir(), [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(reason);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('parses lists, proxies and PostgreSQL URLs', () => {
    const config = loadAppConfig({
      DATA_DIR: dataDir(),
      APP_ORIGINS: 'https://a.example.com, http://localhost:5173',
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
      DATABASE_URL: 'postgres://user@db:5432/gatehouse',
    });
    expect(config.http.appOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(config.http.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(config.database.kind).toBe('postgres');
    expect(loadAppConfig({ DATA_DIR: dataDir(), TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['12h', 43200],
    ['7d', 604800],
    ['45', 45],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['', '1w', '-5s', '1.5h', 'm'])('refuses %p', (text) => {
    expect(parseDurationSeconds(text)).toBeUndefined();
  });
});

describe('loadAppConfig: /metrics is never public', () => {
  it('refuses METRICS_ENABLED without an allow list or a token, and bad allow-list entries', () => {
    expect(configErrorOf({ DATA_DIR: dataDir(), METRICS_ENABLED: 'true' }).variable).toBe(
      'METRICS_ENABLED',
    );
    expect(
      configErrorOf({
        DATA_DIR: dataDir(),
        METRICS_ENABLED: 'true',
        METRICS_ALLOW_IPS: '10.0.0.0/8,localhost',
      }).message,
    ).toContain('"localhost"');
    const config = loadAppConfig({
      DATA_DIR: dataDir(),
      METRICS_ENABLED: 'true',
      METRICS_ALLOW_IPS: '127.0.0.1, fd00::/8',
    });
    expect(config.metrics).toEqual({
      enabled: true,
      allowIps: ['127.0.0.1', 'fd00::/8'],
      token: undefined,
    });
    expect(loadAppConfig({ DATA_DIR: dataDir() }).metrics.enabled).toBe(false);
  });
});

describe('loadAppConfig: TRUST_PROXY (issue 10 item 10)', () => {
  it.each([
    ['999.1.1.1', 'none of these'],
    [':::', 'none of these'],
    ['1.2.3.4/99', 'none of these'],
    ['::1/129', 'none of these'],
    ['10.0.0.0/8x', 'none of these'],
    ['010.0.0.1', 'none of these'],
    ['fe80::1%eth0', 'none of these'],
    ['2,loopback', 'none of these'],
    ['example.com', 'none of these'],
    ['true', 'would trust every client'],
    ['0.0.0.0/0', 'would trust every client'],
    ['::/0', 'would trust every client'],
    ['loopback, 0.0.0.0/0,::/0', 'would trust every client'],
    ['10.0.0.1/00', 'would trust every client'],
    ['1000', 'hop count'],
  ])('refuses TRUST_PROXY=%s with the one-line configuration error', (value, reason) => {
    const error = configErrorOf({ DATA_DIR: dataDir(), TRUST_PROXY: value });
    expect(error.variable).toBe('TRUST_PROXY');
    expect(error.message).toContain(reason);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it.each([
    ['loopback', ['loopback']],
    ['linklocal, uniquelocal', ['linklocal', 'uniquelocal']],
    ['10.0.0.1, ::1', ['10.0.0.1', '::1']],
    ['10.0.0.0/8,fd00::/8,192.168.1.0/24', ['10.0.0.0/8', 'fd00::/8', '192.168.1.0/24']],
    ['1', 1],
    ['false', false],
  ])('accepts TRUST_PROXY=%s, and Express (proxy-addr) compiles it', (value, expected) => {
    const trustProxy = loadAppConfig({ DATA_DIR: dataDir(), TRUST_PROXY: value }).http.trustProxy;
    expect(trustProxy).toEqual(expected);
    // Express compiles the setting at once; an entry proxy-addr cannot parse would throw here.
    expect(() => express().set('trust proxy', trustProxy)).not.toThrow();
  });
});

describe('loadAppConfig: weak secrets (issue 10 item 16)', () => {
  const strong = (): string => randomBytes(48).toString('base64url');

  it('refuses JWT_SECRET equal to AUDIT_SEAL_KEY, in production and when set in development', () => {
    const same = strong();
    for (const env of [
      productionEnv({ JWT_SECRET: same, AUDIT_SEAL_KEY: same }),
      { DATA_DIR: dataDir(), JWT_SECRET: same, AUDIT_SEAL_KEY: same },
    ]) {
      const error = configErrorOf(env);
      expect(error.message).toBe(
        'Invalid configuration: AUDIT_SEAL_KEY must differ from JWT_SECRET',
      );
    }
  });

  it.each([
    ['a repeated pair', 'ab'.repeat(24)],
    ['one repeated character', 'k'.repeat(48)],
    ['a repeated 16-character pattern', 'Zx9-Qw7!Lm3#Vb8$'.repeat(3)],
    ['a long value repeated', 'Tr0ub4dor&3-horse'.repeat(4)],
    ['a repeated hex word', 'deadbeef'.repeat(4)],
  ])('refuses %s as JWT_SECRET and as AUDIT_SEAL_KEY', (_label, weak) => {
    for (const variable of ['JWT_SECRET', 'AUDIT_SEAL_KEY']) {
      for (const env of [
        productionEnv({ [variable]: weak }),
        { DATA_DIR: dataDir(), [variable]: weak },
      ]) {
        const error = configErrorOf(env);
        expect(error.variable).toBe(variable);
        expect(error.message).toContain('bits of estimated entropy');
        expect(error.message.split('\n')).toHaveLength(1);
      }
    }
  });

  it('accepts what `openssl rand` makes, and generates development secrets that pass', () => {
    for (let index = 0; index < 200; index++) {
      expect(estimateSecretBits(randomBytes(48).toString('base64'))).toBeGreaterThan(200);
      expect(estimateSecretBits(randomBytes(32).toString('hex'))).toBeGreaterThanOrEqual(128);
      expect(estimateSecretBits(randomBytes(32).toString('base64url'))).toBeGreaterThanOrEqual(128);
    }
    const config = loadAppConfig({ DATA_DIR: dataDir() });
    expect(estimateSecretBits(config.jwt.secret)).toBeGreaterThanOrEqual(128);
    expect(estimateSecretBits(config.audit.sealKey)).toBeGreaterThanOrEqual(128);
    const explicit = loadAppConfig(
      productionEnv({ JWT_SECRET: strong(), AUDIT_SEAL_KEY: strong() }),
    );
    expect(explicit.jwt.secret).not.toBe(explicit.audit.sealKey);
  });

  it('scores a repetition by its pattern, not its length', () => {
    expect(estimateSecretBits('ab'.repeat(500))).toBeLessThan(20);
    expect(estimateSecretBits('x'.repeat(1000))).toBeLessThan(10);
  });
});
