export { LoginThrottleModule } from './login-throttle.module';
export { LoginThrottleService, doublingLockDurations } from './login-throttle.service';
export type {
  LoginRefusalReason,
  LoginThrottleDecision,
  LoginFailureResult,
} from './login-throttle.service';
export {
  LOGIN_THROTTLE_OPTIONS,
  InjectLoginThrottleOptions,
} from './login-throttle.module-definition';
export type { LoginThrottleOptions, LoginThrottleExtras } from './login-throttle.module-definition';
export {
  ThrottleStore,
  reservationOf,
  releasedCounter,
  failureApplied,
  activeLockEnd,
} from './throttle.store';
export type {
  ThrottleSubject,
  ThrottleCounter,
  FailurePolicy,
  FailureOutcome,
  ReservationRequest,
  SubjectReservation,
  GrantedReservation,
  RefusedReservation,
  Reservation,
} from './throttle.store';
export { KyselyThrottleStore } from './kysely-throttle.store';
export { RateLimitModule } from './rate-limit.module';
export type { RateLimitModuleOptions } from './rate-limit.module';
export { RateLimitGuard, isRateLimitExempt } from './rate-limit.guard';
export { RateLimitMiddleware } from './rate-limit.middleware';
export { FixedWindowThrottlerStorage } from './fixed-window.throttler-storage';
