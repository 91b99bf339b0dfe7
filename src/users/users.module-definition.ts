import { ConfigurableModuleBuilder, Provider, Type } from '@nestjs/common';
import type { Argon2Parameters } from './password-hasher';
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
}

export interface UsersModuleExtras {
  isGlobal: boolean;
  /** Bind another user store (LDAP, an existing table) in place of the Kysely one. */
  store?: Type<UsersRepository>;
}

export const {
  ConfigurableModuleClass: UsersConfigurableModule,
  MODULE_OPTIONS_TOKEN: USERS_MODULE_OPTIONS,
  OPTIONS_TYPE: USERS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: USERS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<UsersModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<UsersModuleExtras>({ isGlobal: false }, (definition, extras) => {
    const store: Provider = {
      provide: UsersRepository,
      useClass: extras.store ?? KyselyUsersRepository,
    };
    return {
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), store],
    };
  })
  .build();
