import { Module } from '@nestjs/common';
import { ClockModule } from '../../common';
import { LoginThrottleConfigurableModule } from './login-throttle.module-definition';
import { LoginThrottleService } from './login-throttle.service';
import { ThrottleStore } from './throttle.store';

/**
 * Login throttling and lockout (API.md "Login rules"): `LoginThrottleService` over a
 * `ThrottleStore`, the database one unless the `store` extra names another (Redis).
 * Global by default, so the auth module injects the service without importing this module.
 */
@Module({
  imports: [ClockModule],
  providers: [LoginThrottleService],
  exports: [LoginThrottleService, ThrottleStore],
})
export class LoginThrottleModule extends LoginThrottleConfigurableModule {}
