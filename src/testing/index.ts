/**
 * `gatehouse/testing`: contract suites a host runs against its own implementations of the
 * extension points, and the in-memory fakes Gatehouse's own specs use. The suites are Jest
 * suites: call them inside your own `describe` (they touch Jest's globals only when called).
 */
export { behavesAsThrottleStore } from './throttle-store.contract';
export { behavesAsUsersRepository } from './users-repository.contract';
export { behavesAsAuditSink, failedLoginFields, sampleAuditEvent } from './audit-sink.contract';
export type { AuditSinkHarness } from './audit-sink.contract';
export { InMemoryUsersRepository } from '../users/testing';
export { InMemoryThrottleStore } from '../auth/throttle/testing';
export { ManualClock } from './manual-clock';
