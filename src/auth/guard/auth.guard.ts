import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AuthenticatedUser,
  DomainError,
  GatehouseRequest,
  httpExceptionOf,
  IS_PUBLIC_KEY,
  publishTokenRejected,
  Role,
  ROLES_KEY,
} from '../../common';
import { csrfOriginRefused, csrfTokenRefused, forbidden, isTokenFailure } from '../auth.errors';
import { CsrfService, isUnsafeMethod } from '../csrf/csrf.service';
import { LoginAuditLedger } from '../login/login-audit.ledger';
import { JwtStrategy } from '../tokens/jwt.strategy';

/** Set once the guard let a request through: the global and a per-controller guard run once. */
const PASSED = Symbol('gatehouse.authGuardPassed');

type AuthenticatedRequest = GatehouseRequest & { user?: AuthenticatedUser; [PASSED]?: true };

/**
 * The global guard, closed by default (ASVS 5.0 V8.3.1). In order:
 * 1. every unsafe request, public or not, passes the Origin / Fetch Metadata check;
 * 2. `@Public()` routes stop here;
 * 3. the access token must check out (the four 401s of API.md);
 * 4. an unsafe request must carry the session's CSRF token (after authentication, so a
 *    request without a session gets its 401 first);
 * 5. `@Roles()` must match, else `403 FORBIDDEN`, audited as `authz_fail`.
 * Subclasses may override the `protected` hooks.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
    private readonly csrf: CsrfService,
    private readonly ledger: LoginAuditLedger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      return await this.check(context);
    } catch (error) {
      // This guard also runs before a host's own routes, whose exception filter knows only
      // HttpException: a refusal leaves as one, with the contract's status and body.
      throw error instanceof DomainError ? httpExceptionOf(error) : error;
    }
  }

  private async check(context: ExecutionContext): Promise<boolean> {
    // Closed by default for transports this guard does not know how to authenticate.
    if (context.getType() !== 'http') return false;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request[PASSED]) return true;
    const unsafe = isUnsafeMethod(request.method);
    if (unsafe) await this.checkOrigin(request);

    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) return true;

    const user = await this.authenticate(request);
    request.user = user;
    if (unsafe && !this.csrf.tokenMatches(request, user.sessionId)) {
      await this.ledger.record({
        type: 'malicious_csrf',
        outcome: 'failure',
        username: user.usernameNormalized,
        userId: user.id,
        sessionId: user.sessionId,
        details: { check: 'token' },
      });
      throw csrfTokenRefused();
    }

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && roles.length > 0 && !roles.some((role) => user.roles.includes(role))) {
      await this.ledger.record({
        type: 'authz_fail',
        outcome: 'failure',
        username: user.usernameNormalized,
        userId: user.id,
        sessionId: user.sessionId,
        details: { required: roles },
      });
      throw forbidden();
    }
    request[PASSED] = true;
    return true;
  }

  protected async checkOrigin(request: GatehouseRequest): Promise<void> {
    const refusal = this.csrf.originRefusal(request);
    if (refusal === undefined) return;
    await this.ledger.record({
      type: 'malicious_csrf',
      outcome: 'failure',
      details: { check: 'origin', refusal, origin: request.headers.origin ?? null },
    });
    throw csrfOriginRefused();
  }

  /**
   * The access token must check out: `JwtStrategy.authenticate` returns the user or throws one
   * of the four 401s of API.md (or a storage error, a 500). Every 401 is counted by the metrics
   * (token verification failures by code), with no dependency on them.
   */
  protected async authenticate(request: GatehouseRequest): Promise<AuthenticatedUser> {
    try {
      return await this.strategy.authenticate(request);
    } catch (error) {
      if (isTokenFailure(error)) publishTokenRejected(error.code);
      throw error;
    }
  }
}
