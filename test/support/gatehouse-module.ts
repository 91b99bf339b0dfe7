import { Test, TestingModule } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../src/config';
import { gatehouseOptionsFrom } from '../../src/core.modules';
import { GatehouseModule } from '../../src/gatehouse';
import { createPostgresSchema, postgresUrl } from './database';

export type Dialect = 'sqlite' | 'postgres';

/** The dialects a medium spec runs on: SQLite always, PostgreSQL with TEST_POSTGRES_URL. */
export const MEDIUM_DIALECTS: [Dialect, boolean][] = [
  ['sqlite', true],
  ['postgres', Boolean(postgresUrl)],
];

export interface GatehouseHarness {
  moduleRef: TestingModule;
  close(): Promise<void>;
}

/**
 * GatehouseModule as a host wires it (the CLI's role: no first admin, no 23:00 job), on an
 * empty database of the dialect (a fresh PostgreSQL schema), with cheap password hashing.
 * `env` adds or overrides settings (AppConfig's variables).
 */
export async function startGatehouse(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<GatehouseHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-medium-'));
  const schema = dialect === 'postgres' ? await createPostgresSchema() : undefined;
  const config = loadAppConfig({
    NODE_ENV: 'test',
    DATA_DIR: dir,
    DATABASE_URL: schema?.url ?? 'sqlite::memory:',
    AUDIT_LOG_DIR: join(dir, 'audit'),
    REPORT_DIR: join(dir, 'reports'),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
    ARGON2_MEMORY_KIB: '19456',
    ARGON2_ITERATIONS: '2',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({
    imports: [GatehouseModule.forRoot(gatehouseOptionsFrom(config, 'cli'))],
  }).compile();
  await moduleRef.init();
  return {
    moduleRef,
    close: async () => {
      await moduleRef.close();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
