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
import {
  csrfOriginRefused,
  csrfTokenRefused,
  forbidden,
  isTokenFailure,
  tokenFailure,
} from '../auth.errors';
import { CsrfService, isUnsafeMethod } from '../csrf/csrf.service';
import { LoginAuditLedger } from '../login/login-audit.ledger';
import { JwtStrategy } from '../tokens/jwt.strategy';

/** Set once the guard let a request through: the global and a per-controller guard run once. */
const PASSED = Symbol('gatehouse.authGuardPassed');

type AuthenticatedRequest = GatehouseRequest & { user?: AuthenticatedUser; [PASSED]?: true };

interface StrategyOutcome {
  user?: AuthenticatedUser;
  info?: unknown;
  error?: Error;
}

/** The actions passport gives a strategy for one request. */
interface StrategyAttempt {
  success(user: AuthenticatedUser): void;
  fail(info?: unknown): void;
  error(error: unknown): void;
  authenticate(request: GatehouseRequest, options: object): void;
}

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

  /** Runs the passport-jwt strategy and maps its `info` to the four 401s. */
  protected async authenticate(request: GatehouseRequest): Promise<AuthenticatedUser> {
    const outcome = await this.runStrategy(request);
    // A token failure (SESSION_REVOKED, TOKEN_INVALID) from validate(), or a database failure (500).
    if (outcome.error !== undefined) {
      // Counted by the metrics (token verification failures by code), with no dependency on them.
      if (isTokenFailure(outcome.error)) publishTokenRejected(outcome.error.code);
      throw outcome.error;
    }
    if (outcome.user) return outcome.user;
    const code = failureCode(outcome.info);
    publishTokenRejected(code);
    throw tokenFailure(code);
  }

  /**
   * The strategy is driven the way passport.authenticate drives it (an object inheriting from
   * the strategy, with success/fail/error actions), without passport's middleware wrapper.
   */
  private runStrategy(request: GatehouseRequest): Promise<StrategyOutcome> {
    return new Promise((resolve) => {
      const attempt = Object.create(this.strategy) as StrategyAttempt;
      attempt.success = (user) => resolve({ user });
      attempt.fail = (info) => resolve({ info });
      attempt.error = (error) =>
        resolve({ error: error instanceof Error ? error : new Error(String(error)) });
      attempt.authenticate(request, {});
    });
  }
}

/** passport-jwt hands jsonwebtoken's error as `info`; no token at all is its own case. */
function failureCode(info: unknown): 'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' {
  if (info instanceof Error) {
    if (info.name === 'TokenExpiredError') return 'TOKEN_EXPIRED';
    if (info.message === 'No auth token') return 'TOKEN_MISSING';
  }
  return 'TOKEN_INVALID';
}
