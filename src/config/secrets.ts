import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, Env } from './env.parsers';
import { estimateSecretBits, MIN_SECRET_BITS } from './secret-strength';

export interface SecretOptions {
  production: boolean;
  dataDir: string;
  placeholders: string[];
}

export const GENERATED_SECRETS_FILE = 'secrets.json';
const MIN_SECRET_BYTES = 32;

/** Secrets generated in development, so a fresh clone starts; warned about once per process. */
export const generatedSecretWarnings: string[] = [];

function validateSecret(name: string, value: string, placeholders: string[]): string {
  if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigError(name, `must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  const lowered = value.toLowerCase();
  if (placeholders.some((placeholder) => lowered.includes(placeholder))) {
    throw new ConfigError(
      name,
      'looks like a placeholder; generate one with `openssl rand -base64 48`',
    );
  }
  // Length alone lets `abab…` through; see secret-strength.ts for the estimator.
  if (estimateSecretBits(value) < MIN_SECRET_BITS) {
    throw new ConfigError(
      name,
      `has less than ${MIN_SECRET_BITS} bits of estimated entropy (a repeated pattern?); generate one with \`openssl rand -base64 48\``,
    );
  }
  return value;
}

/**
 * Production demands every secret from the environment. Elsewhere a missing secret is
 * generated once and kept in `<dataDir>/secrets.json` (mode 0600) so that sessions and
 * seals survive a restart.
 */
export function resolveSecret(env: Env, name: string, options: SecretOptions): string {
  const given = env[name];
  if (given !== undefined && given !== '') return validateSecret(name, given, options.placeholders);
  if (options.production) throw new ConfigError(name, 'is required when NODE_ENV=production');

  const file = join(options.dataDir, GENERATED_SECRETS_FILE);
  const stored: Record<string, string> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
    : {};
  if (!stored[name]) {
    stored[name] = randomBytes(48).toString('base64url');
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
    generatedSecretWarnings.push(
      `${name} was not set: generated one and kept it in ${file} (development only)`,
    );
  }
  return stored[name];
}
