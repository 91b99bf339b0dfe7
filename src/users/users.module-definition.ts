import { ConfigurableModuleBuilder, Provider, Type } from '@nestjs/common';
import { missingBinding } from '../common';
import type { Argon2Parameters } from './password-hasher';
import { UserLifecycleHooks } from './user-lifecycle.port';
import { KyselyUsersRepository, UsersRepository } from './users.repository';

export interface UsersModuleOptions {
  hashing: Argon2Parameters;
  /** Login checks that may wait for a hashing slot before `503 LOGIN_BUSY` (default 32). */
  hashQueueSize?: number;
  /** Where `initial-admin-password` is written on first start. */
  dataDir: string;
  /** Create the first admin when the store is empty (the server does; the CLI does not). */
  createInitialAdmin: boolean;
  bootstrapAdmin?: { username?: string; password?: string };
  /**
   * The roles this application accepts (default `['admin', 'user']`); both of those must be
   * in the list. GatehouseModule passes its `roles` option here.
   */
  roles?: readonly string[];
}

export interface UsersModuleExtras {
  /** Bind another user store (LDAP, an existing table) in place of the Kysely one. */
  store?: Type<UsersRepository>;
  /**
   * The UserLifecycleHooks port (required): what disabling, unlocking or taking a role away
   * does to sessions and locks. GatehouseModule binds auth's implementation; its dependencies
   * come from the module's `imports` (forRootAsync).
   */
  lifecycle?: Type<UserLifecycleHooks>;
}

export const {
  ConfigurableModuleClass: UsersConfigurableModule,
  MODULE_OPTIONS_TOKEN: USERS_MODULE_OPTIONS,
  OPTIONS_TYPE: USERS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: USERS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<UsersModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<UsersModuleExtras>({}, (definition, extras) => {
    const store: Provider = {
      provide: UsersRepository,
      useClass: extras.store ?? KyselyUsersRepository,
    };
    const lifecycle: Provider = extras.lifecycle
      ? { provide: UserLifecycleHooks, useClass: extras.lifecycle }
      : missingBinding(
          UserLifecycleHooks,
          'UserLifecycleHooks',
          'Import GatehouseModule.forRoot(...), or pass `lifecycle` (a UserLifecycleHooks class) and ' +
            'the modules it needs in `imports` to UsersModule.forRootAsync(...).',
        );
    return { ...definition, providers: [...(definition.providers ?? []), store, lifecycle] };
  })
  .build();
