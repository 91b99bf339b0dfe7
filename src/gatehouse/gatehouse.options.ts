import type { ModuleMetadata, Type } from '@nestjs/common';
import type { AuditModuleOptions, AuditSink } from '../audit';
import type { AuthModuleOptions, RevocationNotifier, ThrottleStore } from '../auth';
import type { LoginThrottleOptions } from '../auth';
import type { DatabaseModuleOptions } from '../database';
import type { UsersModuleOptions, UsersRepository } from '../users';

/**
 * Everything Gatehouse needs, as values (from `forRoot(options)` or from the `useFactory` of
 * `forRootAsync`). Durations are in seconds. The service maps its AppConfig onto this.
 */
export interface GatehouseModuleOptions {
  /** `url`: `sqlite:<file>` / `sqlite::memory:` or `postgres://…`; migrations run at boot. */
  database: DatabaseModuleOptions;
  /** Token keys and lifetimes, session lifetimes, cookie flags, allowed origins. */
  auth: AuthModuleOptions;
  /** Password hashing, the data folder and the first-admin bootstrap. */
  users: UsersModuleOptions;
  /** Seal key, JSON-lines file sink, retention and (optionally) the nightly review. */
  audit: AuditModuleOptions;
  /** Login throttling and lockout. */
  throttle: LoginThrottleOptions;
  /**
   * The roles users may hold (default `['admin', 'user']`). `admin` guards the admin routes and
   * `user` is the role of a user created without roles, so both must be listed; names are
   * 1–32 of `a-z0-9_-`. Type `@Roles()` with them by extending `GatehouseRoles`.
   */
  roles?: readonly string[];
}

/**
 * The structure of the application (classes and switches), fixed when the module is defined,
 * so it cannot come from an async factory.
 */
export interface GatehouseModuleExtras {
  /**
   * Modules whose exports the `useFactory` of forRootAsync and your extension classes need
   * (e.g. your ConfigModule, the module of your own users table). Added to every Gatehouse module.
   */
  imports?: ModuleMetadata['imports'];
  /** Your user store (LDAP, your own table); default: Gatehouse's `users` table. */
  usersStore?: Type<UsersRepository>;
  /** Another throttle store (e.g. RedisThrottleStore); default: the database. */
  throttleStore?: Type<ThrottleStore>;
  /** Another revocation notifier (e.g. RedisRevocationNotifier); default: in-process. */
  revocationNotifier?: Type<RevocationNotifier>;
  /** More audit sinks; every committed event reaches each of them after the file sink. */
  auditSinks?: Type<AuditSink>[];
  /** `@ReviewDetector()` classes run by every review: the 23:00 job, the API and the CLI. */
  detectors?: Type[];
  /** AuthGuard as the global guard (default true); false: apply `@UseGuards(AuthGuard)` yourself. */
  globalGuard?: boolean;
}
