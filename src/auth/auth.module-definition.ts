import { ConfigurableModuleBuilder, Inject, Provider, Type } from '@nestjs/common';
import type { AuthModuleOptions } from './auth.options';
import { LocalRevocationNotifier, RevocationNotifier } from './sessions/revocation-notifier';

export interface SessionsModuleExtras {
  /** Another RevocationNotifier (e.g. Redis pub/sub, for several instances) in place of the in-process one. */
  revocationNotifier?: Type<RevocationNotifier>;
}

/** The options token, named up front so both SessionsModule and AuthModule can inject it. */
export const AUTH_MODULE_OPTIONS = Symbol('AUTH_MODULE_OPTIONS');

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
    return { ...definition, providers: [...(definition.providers ?? []), notifier] };
  })
  .build();

export const InjectAuthOptions = (): ParameterDecorator => Inject(AUTH_MODULE_OPTIONS);
