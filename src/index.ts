/**
 * The package's public API: `import { … } from 'gatehouse'`. Everything a host needs to compose
 * the modules, bind its own ports (user store, sinks, throttle store, notifier, detectors) and
 * read what they produce. Test helpers live in `gatehouse/testing`.
 */
export * from './common';
export {
  loadAppConfig,
  ConfigError,
  parseDurationSeconds,
  generatedSecretWarnings,
} from './config';
export type { AppConfig } from './config';
export * from './database';
export * from './users';
export * from './auth';
export * from './audit';
export * from './audit/review';
export * from './audit/review/detectors';
export * from './redis';
export * from './metrics';
export * from './gatehouse';
export { runGatehouseCli } from './cli-runner';
export type { GatehouseCliModule, GatehouseCliOptions } from './cli-runner';
