import { Injectable } from '@nestjs/common';
import { SessionRevoker } from '../../audit';
import { UsersRepository } from '../../users';
import { SessionService } from '../sessions/session.service';

/** The `audit` port: a review measure ends every session of an account. */
@Injectable()
export class AuthSessionRevoker extends SessionRevoker {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionService,
  ) {
    super();
  }

  async revokeAllForUsername(usernameNormalized: string, reason: string): Promise<number> {
    const user = await this.users.findByNormalizedUsername(usernameNormalized);
    if (!user) return 0;
    return this.sessions.revokeAllForUser(user, reason === 'user_disabled' ? 'user_disabled' : 'review_measure');
  }
}
