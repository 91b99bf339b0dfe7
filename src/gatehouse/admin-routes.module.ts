import {
  DynamicModule,
  Logger,
  MiddlewareConsumer,
  Module,
  ModuleMetadata,
  NestModule,
  OnModuleInit,
} from '@nestjs/common';
import { AuditEventsController } from '../audit';
import { ReviewController } from '../audit/review';
import { AuditStatsController } from '../audit';
import { applyGatehouseMiddleware, gatehouseController } from '../auth';
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

  static forRoot(imports: ModuleMetadata['imports']): DynamicModule {
    return { module: AdminRoutesModule, imports, controllers: ADMIN_CONTROLLERS };
  }

  configure(consumer: MiddlewareConsumer): void {
    applyGatehouseMiddleware(consumer, ADMIN_CONTROLLERS);
  }

  onModuleInit(): void {
    this.logger.log(
      'Admin routes /users and /audit mounted behind AuthGuard (role checks per route)',
    );
  }
}
