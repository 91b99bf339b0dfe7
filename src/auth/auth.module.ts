import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  ModuleMetadata,
  NestModule,
  Provider,
} from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { ErrorResponseHook } from '../common';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CsrfService } from './csrf/csrf.service';
import { GatehouseExceptionFilter } from './gatehouse-exception.filter';
import { applyGatehouseMiddleware, gatehouseController } from './gatehouse-routes';
import { AuthGuard } from './guard/auth.guard';
import { LoginAuditHook } from './login/login-audit.hook';
import { LoginAuditLedger } from './login/login-audit.ledger';
import { JwtStrategy } from './tokens/jwt.strategy';

export interface AuthModuleWiring {
  /**
   * Modules that provide what authentication needs: SessionsModule (sessions, tokens, the
   * options), UsersModule (UsersService, PasswordHasher), AuditModule (AuditService,
   * BlocksService) and LoginThrottleModule. GatehouseModule passes its own.
   */
  imports: ModuleMetadata['imports'];
  /** Register AuthGuard as APP_GUARD (default true); `false` for per-controller `@UseGuards(AuthGuard)`. */
  globalGuard?: boolean;
}

/**
 * Cookie login, the cookie JwtStrategy, CSRF, the login audit and the guard (closed by
 * default). It provides ErrorResponseHook (the login audit of refusals before the handler).
 * Exports AuthGuard and what it needs, so a host module can apply it per controller.
 */
gatehouseController(AuthController, { guarded: true });

@Module({})
export class AuthModule implements NestModule {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  configure(consumer: MiddlewareConsumer): void {
    applyGatehouseMiddleware(consumer, [AuthController], this.adapterHost);
  }

  static forRoot(wiring: AuthModuleWiring): DynamicModule {
    const guard: Provider[] =
      wiring.globalGuard === false ? [] : [{ provide: APP_GUARD, useExisting: AuthGuard }];
    return {
      module: AuthModule,
      imports: wiring.imports ?? [],
      controllers: [AuthController],
      providers: [
        CsrfService,
        JwtStrategy,
        LoginAuditLedger,
        AuthService,
        AuthGuard,
        { provide: ErrorResponseHook, useClass: LoginAuditHook },
        GatehouseExceptionFilter,
        ...guard,
      ],
      exports: [
        AuthGuard,
        JwtStrategy,
        CsrfService,
        LoginAuditLedger,
        ErrorResponseHook,
        GatehouseExceptionFilter,
      ],
    };
  }
}
