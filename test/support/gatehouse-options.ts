import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadAppConfig } from '../../src/config';
import { gatehouseOptionsFrom } from '../../src/core.modules';
import type { GatehouseModuleOptions } from '../../src/gatehouse/gatehouse.options';

/**
 * GatehouseModule options for a spec: an in-memory SQLite database, files under `dir`, fresh
 * random keys, fast Argon2 parameters. `env` adds or overrides settings.
 */
export function testGatehouseOptions(
  dir: string,
  env: Record<string, string> = {},
): GatehouseModuleOptions {
  const config = loadAppConfig({
    NODE_ENV: 'test',
    DATA_DIR: dir,
    DATABASE_URL: 'sqlite::memory:',
    AUDIT_LOG_DIR: join(dir, 'audit'),
    REPORT_DIR: join(dir, 'reports'),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
    ARGON2_MEMORY_KIB: '19456',
    ARGON2_ITERATIONS: '2',
    ...env,
  });
  return gatehouseOptionsFrom(config, 'cli');
}
