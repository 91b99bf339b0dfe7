import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { adminRoutesNotice } from '../common';
import { DeclaredRoles } from './declared-roles';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import {
  USERS_MODULE_OPTIONS,
  UsersConfigurableModule,
  UsersModuleOptions,
} from './users.module-definition';
import { UsersBootstrapService } from './users-bootstrap.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * Users, roles, password hashing and policy. The store is `UsersRepository` (Kysely by
 * default); `UsersModule.forRoot(options, { store: LdapUsers })`-style extras bind another.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: PasswordHasher,
      useFactory: (options: UsersModuleOptions) =>
        new PasswordHasher(options.hashing, { queueSize: options.hashQueueSize }),
      inject: [USERS_MODULE_OPTIONS],
    },
    {
      provide: DeclaredRoles,
      useFactory: (options: UsersModuleOptions) => new DeclaredRoles(options.roles),
      inject: [USERS_MODULE_OPTIONS],
    },
    PasswordPolicy,
    UsersService,
    UsersBootstrapService,
    adminRoutesNotice('UsersModule', '/users', [UsersController]),
  ],
  exports: [UsersService, PasswordHasher, PasswordPolicy, DeclaredRoles],
})
export class UsersModule extends UsersConfigurableModule {}
