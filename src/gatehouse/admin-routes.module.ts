import {
  DynamicModule,
  Logger,
  MiddlewareConsumer,
  Module,
  ModuleMetadata,
  NestModule,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuditEventsController, AuditStatsController } from '../audit';
import { ReviewController } from '../audit/review';
import { applyGatehouseMiddleware, gatehouseController } from '../auth';
import { HttpPlatform } from '../common';
import { UsersController } from '../users';

const ADMIN_CONTROLLERS = [
  UsersController,
  AuditEventsController,
  AuditStatsController,
  ReviewController,
];
for (const controller of ADMIN_CONTROLLERS) gatehouseController(controller, { guarded: true });

/**
 * `/users` and `/audit/*`, mounted only here, next to authentication: each controller carries
 * AuthGuard (and its `@Roles()`), whatever the global guard. UsersModule, AuditModule and
 * ReviewModule alone serve no HTTP routes, so importing them without auth never opens them.
 */
@Module({})
export class AdminRoutesModule implements NestModule, OnModuleInit {
  private readonly logger = new Logger('Gatehouse');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  static forRoot(imports: ModuleMetadata['imports']): DynamicModule {
    // HttpPlatform here too: the controllers' filter is instantiated in this module.
    return {
      module: AdminRoutesModule,
      imports,
      controllers: ADMIN_CONTROLLERS,
      providers: [HttpPlatform],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    applyGatehouseMiddleware(consumer, ADMIN_CONTROLLERS, this.adapterHost);
  }

  onModuleInit(): void {
    this.logger.log(
      'Admin routes /users and /audit mounted behind AuthGuard (role checks per route)',
    );
  }
}
