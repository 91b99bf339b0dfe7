import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { GatehouseRequest } from './http-platform';

/**
 * Route metadata read by the global guard in `auth`. It lives here so that any module (audit,
 * users) can mark its routes without depending on `auth`.
 */
export const IS_PUBLIC_KEY = 'gatehouse:isPublic';
export const ROLES_KEY = 'gatehouse:roles';

/**
 * The roles a host declares, as the keys of an interface it may extend (declaration merging),
 * so that `@Roles()` and `AuthenticatedUser.roles` are typed from them:
 *
 *   declare module 'gatehouse' { interface GatehouseRoles { auditor: true } }
 *
 * The same names go in `GatehouseModule.forRoot({ roles: [...] })`, which is what the API and
 * the store accept at run time. `admin` guards the admin routes; `user` is what a new user gets.
 */
export interface GatehouseRoles {
  admin: true;
  user: true;
}

export type Role = Extract<keyof GatehouseRoles, string>;

/** The roles when the host declares none (the service's own). */
export const DEFAULT_ROLES: readonly Role[] = ['admin', 'user'];

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
