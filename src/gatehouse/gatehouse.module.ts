import { ConfigurableModuleBuilder, DynamicModule, Inject, Module } from '@nestjs/common';
import { AuditModule } from '../audit';
import { ReviewModule } from '../audit/review';
import { AuthModule } from '../auth';
import { AuthSessionRevoker } from '../auth';
import { AuthUserLifecycle } from '../auth';
import { SessionsModule } from '../auth';
import { LoginThrottleModule } from '../auth';
import { DatabaseModule } from '../database';
import { UsersModule } from '../users';
import { AdminRoutesModule } from './admin-routes.module';
import { cliProcess } from './cli-process';
import { GatehouseCommandScope } from './gatehouse-command-scope';
import type { GatehouseModuleExtras, GatehouseModuleOptions } from './gatehouse.options';

export const GATEHOUSE_OPTIONS = Symbol('GATEHOUSE_OPTIONS');
export const InjectGatehouseOptions = (): ParameterDecorator => Inject(GATEHOUSE_OPTIONS);

/** Holds the options (a value, or the host's factory and what it injects) for every module. */
@Module({})
export class GatehouseOptionsModule {}

/**
 * Wires the modules from one options object, each importing exactly what it needs (no global
 * module but the database connection): users → sessions/audit/throttle, auth → all of them,
 * review → audit, users, sessions. The ports are bound here: UserLifecycleHooks and
 * SessionRevoker to auth's implementations, the stores, sinks and detectors to the extras.
 */
function compose(definition: DynamicModule, extras: GatehouseModuleExtras): DynamicModule {
  const optionsModule: DynamicModule = {
    module: GatehouseOptionsModule,
    imports: definition.imports ?? [],
    providers: definition.providers ?? [],
    exports: [GATEHOUSE_OPTIONS],
  };
  // forRootAsync hands `imports` to the options provider only (Nest keeps it out of the
  // extras); the host's modules must also reach its classes (a detector's dependencies).
  const host = [...new Set([...(extras.imports ?? []), ...(definition.imports ?? [])])];
  const from = <T>(pick: (options: GatehouseModuleOptions) => T) => ({
    imports: [optionsModule, ...host],
    inject: [GATEHOUSE_OPTIONS],
    useFactory: pick,
  });

  const database = DatabaseModule.forRootAsync({
    imports: [optionsModule],
    inject: [GATEHOUSE_OPTIONS],
    useFactory: (options: GatehouseModuleOptions) => forThisProcess(options).database,
  });
  const audit = AuditModule.forRootAsync({
    ...from((options) => forThisProcess(options).audit),
    sinks: extras.auditSinks ?? [],
  });
  const throttle = LoginThrottleModule.forRootAsync({
    ...from((options) => options.throttle),
    store: extras.throttleStore,
  });
  const sessions = SessionsModule.forRootAsync({
    ...from((options) => options.auth),
    imports: [optionsModule, ...host, audit],
    revocationNotifier: extras.revocationNotifier,
  });
  const users = UsersModule.forRootAsync({
    ...from((options) => ({ ...forThisProcess(options).users, roles: options.roles })),
    imports: [optionsModule, ...host, audit, sessions, throttle],
    store: extras.usersStore,
    lifecycle: AuthUserLifecycle,
  });
  const auth = AuthModule.forRoot({
    imports: [...host, users, sessions, audit, throttle],
    globalGuard: extras.globalGuard,
  });
  const review = ReviewModule.forRoot({
    imports: [...host, audit, users, sessions],
    sessionRevoker: AuthSessionRevoker,
    detectors: extras.detectors,
  });
  const modules = [audit, throttle, sessions, users, auth, review];
  const admin = AdminRoutesModule.forRoot([users, audit, review, auth]);
  return {
    module: definition.module,
    imports: [database, optionsModule, ...modules, admin],
    // The command line creates its commands in this module's scope (runGatehouseCli).
    providers: [GatehouseCommandScope],
    exports: [optionsModule, ...modules],
  };
}

/**
 * The options as this process uses them: unchanged in a server; in a Gatehouse command line
 * (runGatehouseCli), no JSON-lines file (one writer per file keeps its MAC chain linear), no
 * 23:00 job, no first-admin bootstrap, a small pool, and migrations only when the command
 * allows (db:migrate reports its own; `audit:review --file` changes nothing).
 */
function forThisProcess(options: GatehouseModuleOptions): GatehouseModuleOptions {
  const cli = cliProcess();
  if (!cli) return options;
  return {
    ...options,
    database: {
      ...options.database,
      poolSize: Math.min(options.database.poolSize, 2),
      migrate: cli.migrate && options.database.migrate !== false,
    },
    audit: {
      ...options.audit,
      fileSink: false,
      review: options.audit.review && { ...options.audit.review, enabled: false },
    },
    users: { ...options.users, createInitialAdmin: false, bootstrapAdmin: undefined },
  };
}

export const {
  ConfigurableModuleClass: GatehouseConfigurableModule,
  OPTIONS_TYPE: GATEHOUSE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: GATEHOUSE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<GatehouseModuleOptions>({
  optionsInjectionToken: GATEHOUSE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<GatehouseModuleExtras>({ globalGuard: true }, compose)
  .build();

/**
 * Gatehouse in one call: `GatehouseModule.forRoot(options)` or
 * `GatehouseModule.forRootAsync({ imports, inject, useFactory, ...extras })`. It exports every
 * service (UsersService, AuditService, ReviewService, SessionService, AuthGuard, …) to the
 * module that imports it. The service's AppModule and the CLI are built from it.
 */
@Module({})
export class GatehouseModule extends GatehouseConfigurableModule {}
