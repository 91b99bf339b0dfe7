import { MiddlewareConsumer, Type, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { HttpAdapterHost } from '@nestjs/core';
import cookieParser from 'cookie-parser';
import {
  FastifyHookTarget,
  gatehouseValidationPipe,
  installFastifyRequestHooks,
  rejectDeepJson,
  rejectPrototypeKeys,
  requestContextMiddleware,
  routesUnder,
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
 * On Express they are Nest middleware. On Fastify they are Fastify hooks (middleware would run
 * before the body is parsed and outside `trustProxy`: see fastify-request-hooks.ts), and the
 * cookies are read from the `Cookie` header unless @fastify/cookie parsed them.
 */
export function applyGatehouseMiddleware(
  consumer: MiddlewareConsumer,
  controllers: Type[],
  adapterHost: HttpAdapterHost,
): void {
  const adapter = adapterHost.httpAdapter;
  if (adapter?.getType() === 'fastify') {
    const paths = controllers.flatMap((controller) =>
      ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) as string | string[]),
    );
    installFastifyRequestHooks(adapter.getInstance<FastifyHookTarget>(), routesUnder(paths));
    return;
  }
  consumer
    .apply(requestContextMiddleware, cookieParser(), rejectDeepJson, rejectPrototypeKeys)
    .forRoutes(...controllers);
}
