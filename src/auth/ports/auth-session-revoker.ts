import { Injectable } from '@nestjs/common';
import { SessionRevoker } from '../../audit';
import { UsersService } from '../../users';
import { SessionService } from '../sessions/session.service';

/** The `audit` port: a review measure ends every session of an account. */
@Injectable()
export class AuthSessionRevoker extends SessionRevoker {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {
    super();
  }

  /** Only review measures call this port, so every revocation is a `review_measure`. */
  async revokeAllForUsername(usernameNormalized: string): Promise<number> {
    const user = await this.users.findByUsername(usernameNormalized);
    if (!user) return 0;
    return this.sessions.revokeAllForUser(user, 'review_measure');
  }
}
