import { Inject } from '@nestjs/common';

/** The validated AppConfig, for the few app-level providers that need it (health, metrics). */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const InjectAppConfig = (): ParameterDecorator => Inject(APP_CONFIG);
