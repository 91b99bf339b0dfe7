import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { GatehouseRequest } from './http-platform';

/**
 * Route metadata read by the global guard in `auth`. It lives here so that any module (audit,
 * users) can mark its routes without depending on `auth`.
 */
export const IS_PUBLIC_KEY = 'gatehouse:isPublic';
export const ROLES_KEY = 'gatehouse:roles';

export type Role = 'admin' | 'user';
export const ROLES: readonly Role[] = ['admin', 'user'];

/** Opts a route out of the global guard; every other route needs a valid access cookie. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** Requires one of the roles; others get `403 FORBIDDEN`, audited as `authz_fail`. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

/** What the guard attaches to the request once the access token checks out. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  usernameNormalized: string;
  roles: Role[];
  sessionId: string;
}

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    context.switchToHttp().getRequest<GatehouseRequest & { user: AuthenticatedUser }>().user,
);
