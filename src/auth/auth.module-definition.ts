import { ConfigurableModuleBuilder, Inject } from '@nestjs/common';
import type { AuthModuleOptions } from './auth.options';

export interface AuthModuleExtras {
  isGlobal: boolean;
}

export const {
  ConfigurableModuleClass: AuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE: AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuthModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<AuthModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

export const InjectAuthOptions = (): ParameterDecorator => Inject(AUTH_MODULE_OPTIONS);
