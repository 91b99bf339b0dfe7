import { Module } from '@nestjs/common';
import { HttpPlatform } from '../../common';
import { AuthCookies } from '../auth-cookies';
import { AUTH_MODULE_OPTIONS, SessionsConfigurableModule } from '../auth.module-definition';
import type { AuthModuleOptions } from '../auth.options';
import { TokenService } from '../tokens/token.service';
import { RevocationNotifier } from './revocation-notifier';
import { DEFAULT_SESSION_CACHE_SIZE, SessionStateCache } from './session-state.cache';
import { SessionService } from './session.service';
import { KyselySessionsRepository, SessionsRepository } from './sessions.repository';

/**
 * Sessions, tokens (the access token through `JwtService` of `@nestjs/jwt`) and cookies: the
 * part of authentication that does not need the user store, so that the users module
 * (lifecycle hooks) and the review (session revoker) can import it without a cycle. Needs
 * AuditService from its `imports`.
 */
@Module({
  providers: [
    {
      provide: AuthCookies,
      useFactory: (options: AuthModuleOptions, platform: HttpPlatform) =>
        new AuthCookies(options.cookies.secure, platform),
      inject: [AUTH_MODULE_OPTIONS, HttpPlatform],
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
    HttpPlatform,
  ],
  // The options, AuthKeys and JwtService are exported by the definition (auth.module-definition).
  exports: [HttpPlatform, AuthCookies, TokenService, SessionService, RevocationNotifier],
})
export class SessionsModule extends SessionsConfigurableModule {}
