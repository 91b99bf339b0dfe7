export { HealthModule } from './health.module';
export type { HealthModuleOptions } from './health.module';
export { DatabaseHealthIndicator } from './database.health';
export { NoOptionalHealthIndicators, OptionalHealthIndicators } from './optional-health.indicators';
