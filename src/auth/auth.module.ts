import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SessionRevoker } from '../audit';
import { ErrorResponseHook } from '../common';
import { UserLifecycleHooks } from '../users';
import { AuthCookies } from './auth-cookies';
import { AuthController } from './auth.controller';
import { AUTH_MODULE_OPTIONS, AuthConfigurableModule } from './auth.module-definition';
import type { AuthModuleOptions } from './auth.options';
import { AuthService } from './auth.service';
import { CsrfService } from './csrf/csrf.service';
import { AuthGuard } from './guard/auth.guard';
import { LoginAuditHook } from './login/login-audit.hook';
import { LoginAuditLedger } from './login/login-audit.ledger';
import { AuthSessionRevoker } from './ports/auth-session-revoker';
import { AuthUserLifecycle } from './ports/auth-user-lifecycle';
import { RevocationNotifier } from './sessions/revocation-notifier';
import { DEFAULT_SESSION_CACHE_SIZE, SessionStateCache } from './sessions/session-state.cache';
import { SessionService } from './sessions/session.service';
import { KyselySessionsRepository, SessionsRepository } from './sessions/sessions.repository';
import { AuthKeys } from './tokens/auth-keys';
import { JwtStrategy } from './tokens/jwt.strategy';
import { TokenService } from './tokens/token.service';

/**
 * Cookie login, the passport-jwt strategy, sessions with rotation and revocation, CSRF, and
 * the global guard (closed by default). It provides the ports other modules define:
 * `SessionRevoker` (audit) and `UserLifecycleHooks` (users). It needs UsersService,
 * AuditService, BlocksService and LoginThrottleService from global modules.
 */
@Module({
  controllers: [AuthController],
  providers: [
    {
      provide: AuthKeys,
      useFactory: (options: AuthModuleOptions) => new AuthKeys(options.jwt.secret),
      inject: [AUTH_MODULE_OPTIONS],
    },
    {
      provide: AuthCookies,
      useFactory: (options: AuthModuleOptions) => new AuthCookies(options.cookies.secure),
      inject: [AUTH_MODULE_OPTIONS],
    },
    {
      provide: SessionStateCache,
      useFactory: (options: AuthModuleOptions) =>
        new SessionStateCache(options.sessionCacheSize ?? DEFAULT_SESSION_CACHE_SIZE),
      inject: [AUTH_MODULE_OPTIONS],
    },
    { provide: SessionsRepository, useClass: KyselySessionsRepository },
    TokenService,
    SessionService,
    CsrfService,
    JwtStrategy,
    LoginAuditLedger,
    AuthService,
    { provide: ErrorResponseHook, useClass: LoginAuditHook },
    { provide: SessionRevoker, useClass: AuthSessionRevoker },
    { provide: UserLifecycleHooks, useClass: AuthUserLifecycle },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [
    SessionService,
    TokenService,
    AuthCookies,
    LoginAuditLedger,
    RevocationNotifier,
    SessionRevoker,
    UserLifecycleHooks,
    ErrorResponseHook,
  ],
})
export class AuthModule extends AuthConfigurableModule {}
