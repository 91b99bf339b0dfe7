export { InMemoryThrottleStore } from './in-memory-throttle.store';
