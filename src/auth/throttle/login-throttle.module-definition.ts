import { ConfigurableModuleBuilder, Inject, Provider, Type } from '@nestjs/common';
import { KyselyThrottleStore } from './kysely-throttle.store';
import { ThrottleStore } from './throttle.store';

/** The login throttle rules of API.md; every duration in seconds (config `throttle.*`). */
export interface LoginThrottleOptions {
  /** Per (username, IP) pair: failures within `pairWindow` that lock the pair. */
  pairMaxFailures: number;
  pairWindow: number;
  /** First pair lock; each repeated lock doubles it, up to `pairLockMax`. */
  pairLock: number;
  pairLockMax: number;
  /** Per username, across IPs: locks it for `userLock`, for IPs that never logged into it. */
  userMaxFailures: number;
  userWindow: number;
  userLock: number;
  /** Per IP, across usernames: blocks the IP for `ipBlock`, for every username. */
  ipMaxFailures: number;
  ipWindow: number;
  ipBlock: number;
}

export interface LoginThrottleExtras {
  /**
   * Another ThrottleStore (e.g. Redis) in place of the database one. The database store is
   * still a provider, so such a store can inject `KyselyThrottleStore` as its fallback.
   */
  store?: Type<ThrottleStore>;
}

export const LOGIN_THROTTLE_OPTIONS = Symbol('LOGIN_THROTTLE_OPTIONS');

export const {
  ConfigurableModuleClass: LoginThrottleConfigurableModule,
  OPTIONS_TYPE: LOGIN_THROTTLE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LOGIN_THROTTLE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LoginThrottleOptions>({
  optionsInjectionToken: LOGIN_THROTTLE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<LoginThrottleExtras>({}, (definition, extras) => {
    const store: Provider = extras.store
      ? { provide: ThrottleStore, useClass: extras.store }
      : { provide: ThrottleStore, useExisting: KyselyThrottleStore };
    return {
      ...definition,
      providers: [...(definition.providers ?? []), KyselyThrottleStore, store],
    };
  })
  .build();

export const InjectLoginThrottleOptions = (): ParameterDecorator => Inject(LOGIN_THROTTLE_OPTIONS);
