export { RedisModule } from './redis.module';
export { RedisConnections } from './redis.connections';
export type { RedisModuleOptions } from './redis.options';
export { RedisThrottleStore } from './redis-throttle.store';
export { RedisRevocationNotifier } from './redis-revocation.notifier';
export { RedisHealthIndicators } from './redis.health';
export { ResilientThrottlerStorage } from './resilient-throttler.storage';
export { sharedStateBindings } from './redis.bindings';
export type { SharedStateBindings } from './redis.bindings';
