export { loadAppConfig } from './app-config';
export type { AppConfig, DatabaseKind } from './app-config';
export { ConfigError, parseDurationSeconds } from './env.parsers';
export { generatedSecretWarnings } from './secrets';
