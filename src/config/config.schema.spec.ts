import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from './app-config';
import { allSettings, SETTINGS } from './config.schema';
import { Env } from './env.parsers';

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'gh-schema-'));
}

/** Runs loadAppConfig over `env` and returns every variable name it looked up. */
function variablesRead(env: Env): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name, receiver) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
  loadAppConfig(recording);
  return read;
}

/** A value for every setting that differs from its default and passes validation. */
const NON_DEFAULT: Record<string, string> = {
  NODE_ENV: 'test',
  DATABASE_URL: 'postgres://user@db:5432/gatehouse',
  REDIS_URL: 'redis://127.0.0.1:6379',
  TRUST_PROXY: 'loopback',
  APP_ORIGINS: 'https://app.example.com',
  METRICS_ENABLED: 'true',
  METRICS_ALLOW_IPS: '127.0.0.1',
  METRICS_TOKEN: 'a-metrics-token-of-some-length',
  REVIEW_TIMEZONE: 'Europe/Paris',
  LOG_LEVEL: 'debug',
  LOG_FORMAT: 'json',
  COOKIE_SECURE: 'true',
};

describe('the settings table (config.schema.ts)', () => {
  it('lists exactly the variables loadAppConfig reads, with every optional one set', () => {
    const everythingSet: Env = { DATA_DIR: dataDir(), ...NON_DEFAULT };
    const read = variablesRead(everythingSet);
    expect([...read].sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('reads every variable even when nothing is set (no setting hides behind another)', () => {
    const read = variablesRead({ DATA_DIR: dataDir() });
    expect([...read].sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('documents the real defaults: setting each one explicitly changes nothing', () => {
    const dir = dataDir();
    const defaults = loadAppConfig({ DATA_DIR: dir });
    for (const setting of allSettings()) {
      if (setting.defaultText !== undefined) continue;
      let value: string | undefined;
      switch (setting.type) {
        case 'integer':
        case 'duration':
        case 'boolean':
        case 'enum':
          value = String(setting.default);
          break;
        case 'string':
          value = setting.default;
          break;
        default:
          value = undefined;
      }
      if (value === undefined || setting.name === 'DATA_DIR') continue;
      expect({ [setting.name]: loadAppConfig({ DATA_DIR: dir, [setting.name]: value }) }).toEqual({
        [setting.name]: defaults,
      });
    }
  });

  it('applies each bound of the table: one past the bound is refused, the bound is accepted', () => {
    for (const setting of allSettings()) {
      if (setting.type !== 'integer') continue;
      const dir = dataDir();
      expect(() =>
        loadAppConfig({ DATA_DIR: dir, [setting.name]: String(setting.max) }),
      ).not.toThrow();
      expect(() =>
        loadAppConfig({ DATA_DIR: dir, [setting.name]: String(setting.max + 1) }),
      ).toThrow(setting.name);
      expect(() =>
        loadAppConfig({ DATA_DIR: dir, [setting.name]: String(setting.min - 1) }),
      ).toThrow(setting.name);
    }
  });

  it('gives every setting a section and a meaning', () => {
    for (const setting of allSettings()) {
      expect(setting.meaning.length).toBeGreaterThan(5);
      expect(setting.section).toBeTruthy();
    }
  });
});
