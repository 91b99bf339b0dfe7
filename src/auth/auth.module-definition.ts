import {
  ConfigurableModuleBuilder,
  DynamicModule,
  Inject,
  Module,
  Provider,
  Type,
} from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import type { AuthModuleOptions } from './auth.options';
import { LocalRevocationNotifier, RevocationNotifier } from './sessions/revocation-notifier';
import { accessTokenJwtOptions } from './tokens/access-token.jwt-options';
import { AuthKeys } from './tokens/auth-keys';

export interface SessionsModuleExtras {
  /** Another RevocationNotifier (e.g. Redis pub/sub, for several instances) in place of the in-process one. */
  revocationNotifier?: Type<RevocationNotifier>;
}

/** The options token, named up front so both SessionsModule and AuthModule can inject it. */
export const AUTH_MODULE_OPTIONS = Symbol('AUTH_MODULE_OPTIONS');

/**
 * Holds the options and the keys made from them, once per SessionsModule: both SessionsModule
 * and its JwtModule import it, so a host's options factory runs once and there is one KeyObject.
 */
@Module({})
export class AuthKeysModule {}

/**
 * Moves the options provider into an AuthKeysModule and registers `JwtModule` on its keys
 * (`JwtModule.registerAsync`), so `JwtService` signs and verifies access tokens with
 * `accessTokenJwtOptions`. SessionsModule re-exports both: AuthModule and a host importing
 * SessionsModule (or GatehouseModule) can inject `JwtService` and the options.
 */
function withKeysAndJwt(definition: DynamicModule): DynamicModule {
  const keys: DynamicModule = {
    module: AuthKeysModule,
    imports: definition.imports ?? [],
    providers: [
      ...(definition.providers ?? []),
      {
        provide: AuthKeys,
        useFactory: (options: AuthModuleOptions) => new AuthKeys(options.jwt.secret),
        inject: [AUTH_MODULE_OPTIONS],
      },
    ],
    exports: [AUTH_MODULE_OPTIONS, AuthKeys],
  };
  const jwt = JwtModule.registerAsync({
    imports: [keys],
    inject: [AuthKeys, AUTH_MODULE_OPTIONS],
    useFactory: accessTokenJwtOptions,
  });
  return {
    ...definition,
    imports: [...(definition.imports ?? []), keys, jwt],
    providers: [],
    exports: [keys, jwt],
  };
}

/**
 * SessionsModule is configured with AuthModuleOptions and exports them; AuthModule (the HTTP
 * part) imports it. Async form: `SessionsModule.forRootAsync({ imports: [optionsModule,
 * auditModule], inject: [...], useFactory })` — the imports must provide AuditService.
 */
export const {
  ConfigurableModuleClass: SessionsConfigurableModule,
  OPTIONS_TYPE: SESSIONS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SESSIONS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuthModuleOptions>({ optionsInjectionToken: AUTH_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<SessionsModuleExtras>({}, (definition, extras) => {
    const notifier: Provider = {
      provide: RevocationNotifier,
      useClass: extras.revocationNotifier ?? LocalRevocationNotifier,
    };
    const module = withKeysAndJwt(definition);
    return { ...module, providers: [...(module.providers ?? []), notifier] };
  })
  .build();

export const InjectAuthOptions = (): ParameterDecorator => Inject(AUTH_MODULE_OPTIONS);
