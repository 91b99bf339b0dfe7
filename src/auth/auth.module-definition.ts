import { ConfigurableModuleBuilder, Inject, Provider, Type } from '@nestjs/common';
import type { AuthModuleOptions } from './auth.options';
import { LocalRevocationNotifier, RevocationNotifier } from './sessions/revocation-notifier';

export interface AuthModuleExtras {
  isGlobal: boolean;
  /** Another RevocationNotifier (e.g. Redis pub/sub, for several instances) in place of the in-process one. */
  revocationNotifier?: Type<RevocationNotifier>;
}

export const {
  ConfigurableModuleClass: AuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE: AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuthModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<AuthModuleExtras>({ isGlobal: true }, (definition, extras) => {
    const notifier: Provider = {
      provide: RevocationNotifier,
      useClass: extras.revocationNotifier ?? LocalRevocationNotifier,
    };
    return {
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), notifier],
    };
  })
  .build();

export const InjectAuthOptions = (): ParameterDecorator => Inject(AUTH_MODULE_OPTIONS);
