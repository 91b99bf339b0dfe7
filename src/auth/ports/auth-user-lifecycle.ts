import { Injectable } from '@nestjs/common';
import { BlocksService } from '../../audit';
import type { User } from '../../users';
import { UserLifecycleHooks } from '../../users';
import { SessionService } from '../sessions/session.service';
import { LoginThrottleService } from '../throttle';

/** The `users` port: disabling ends every session at once; unlocking clears every lock. */
@Injectable()
export class AuthUserLifecycle extends UserLifecycleHooks {
  constructor(
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottleService,
    private readonly blocks: BlocksService,
  ) {
    super();
  }

  async onDisabled(user: User): Promise<void> {
    await this.sessions.revokeAllForUser(user, 'user_disabled');
  }

  override async onRolesReduced(user: User): Promise<void> {
    await this.sessions.revokeAllForUser(user, 'roles_reduced');
  }

  async onUnlocked(user: User): Promise<void> {
    await this.throttle.clearFor(user.usernameNormalized);
    await this.blocks.liftAccountLocks(user.usernameNormalized);
  }
}
