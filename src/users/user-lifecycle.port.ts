import type { User } from './user';

/**
 * A port that `users` defines and `auth` provides: what must happen to sessions and lockout
 * state when an admin disables or unlocks a user. A missing binding fails at boot (MissingBindingError).
 */
export abstract class UserLifecycleHooks {
  /** Revoke every session of the user at once. */
  abstract onDisabled(user: User): Promise<void>;
  /** Clear throttling and lockout state of the user. */
  abstract onUnlocked(user: User): Promise<void>;
  /**
   * The user lost a role. Access tokens carry roles, so auth ends the user's sessions to apply
   * the loss at once (ASVS 5.0 V8.3.2). Default: nothing.
   */
  onRolesReduced(_user: User): Promise<void> {
    return Promise.resolve();
  }
}
