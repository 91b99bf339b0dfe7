import { MiddlewareConsumer, Type, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import cookieParser from 'cookie-parser';
import {
  gatehouseValidationPipe,
  rejectDeepJson,
  rejectPrototypeKeys,
  requestContextMiddleware,
} from '../common';
import { GatehouseExceptionFilter } from './gatehouse-exception.filter';
import { AuthGuard } from './guard/auth.guard';

/**
 * What every Gatehouse controller carries itself, so a host that only calls
 * `NestFactory.create` gets the contract: API.md's validation and error format. Host routes
 * keep the host's own pipes and filters.
 */
export function gatehouseController(controller: Type, options: { guarded: boolean }): void {
  UsePipes(gatehouseValidationPipe())(controller);
  UseFilters(GatehouseExceptionFilter)(controller);
  // Admin routes carry the guard themselves: closed even with `globalGuard: false`.
  if (options.guarded) UseGuards(AuthGuard)(controller);
}

/**
 * Request context (canonical client IP), cookie parsing and the JSON body checks (nesting
 * depth, prototype keys) on Gatehouse's routes; each is idempotent with the service's own.
 */
export function applyGatehouseMiddleware(consumer: MiddlewareConsumer, controllers: Type[]): void {
  consumer
    .apply(requestContextMiddleware, cookieParser(), rejectDeepJson, rejectPrototypeKeys)
    .forRoutes(...controllers);
}
