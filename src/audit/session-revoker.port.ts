/**
 * A port that `audit` defines and `auth` provides (bound as this abstract class), so that a
 * review measure can end a user's sessions without `audit` depending on `auth`.
 */
export abstract class SessionRevoker {
  /** Revokes every live session of the user; returns how many were revoked. */
  abstract revokeAllForUsername(usernameNormalized: string, reason: string): Promise<number>;
}
