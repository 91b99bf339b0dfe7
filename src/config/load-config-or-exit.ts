import { existsSync } from 'node:fs';
import { loadAppConfig, AppConfig } from './app-config';
import { ConfigError } from './env.parsers';

/** Reads `.env` when present, then validates every setting once; a bad one ends the process. */
export function loadConfigOrExit(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
