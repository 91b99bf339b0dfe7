export { loadAppConfig, loadReviewOptions } from './app-config';
export type { AppConfig, DatabaseKind } from './app-config';
export { ConfigError, parseDurationSeconds } from './env.parsers';
export { generatedSecretWarnings } from './secrets';
export { loadConfigOrExit } from './load-config-or-exit';
