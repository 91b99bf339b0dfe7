import type { User } from '../user';
import {
  isEnabledAdminAfter,
  LastAdminError,
  NewUser,
  UsernameTakenError,
  UserPatch,
  UsersRepository,
} from '../users.repository';

/** A hand-written fake of the user store for unit specs (and an example of a custom store). */
export class InMemoryUsersRepository extends UsersRepository {
  readonly users = new Map<string, User>();

  findById(id: string): Promise<User | undefined> {
    return Promise.resolve(this.users.get(id));
  }

  findByNormalizedUsername(usernameNormalized: string): Promise<User | undefined> {
    return Promise.resolve(
      [...this.users.values()].find((user) => user.usernameNormalized === usernameNormalized),
    );
  }

  async insert(user: NewUser): Promise<User> {
    if (await this.findByNormalizedUsername(user.usernameNormalized))
      throw new UsernameTakenError();
    const at = new Date(user.now).toISOString();
    const stored: User = {
      id: user.id,
      username: user.username,
      usernameNormalized: user.usernameNormalized,
      passwordHash: user.passwordHash,
      roles: user.roles,
      disabled: false,
      createdAt: at,
      updatedAt: at,
      passwordChangedAt: at,
    };
    this.users.set(user.id, stored);
    return stored;
  }

  update(id: string, patch: UserPatch, now: number): Promise<User | undefined> {
    const user = this.users.get(id);
    if (!user) return Promise.resolve(undefined);
    if (patch.keepAnEnabledAdmin) {
      const admins = [...this.users.values()].filter((other) => isEnabledAdminAfter(other, {}));
      if (admins.length === 1 && admins[0].id === id && !isEnabledAdminAfter(user, patch)) {
        return Promise.reject(new LastAdminError());
      }
    }
    const at = new Date(now).toISOString();
    const updated: User = {
      ...user,
      updatedAt: at,
      ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }),
      ...(patch.roles === undefined ? {} : { roles: patch.roles }),
      ...(patch.passwordHash === undefined ? {} : { passwordHash: patch.passwordHash }),
      ...(patch.passwordChanged ? { passwordChangedAt: at } : {}),
    };
    this.users.set(id, updated);
    return Promise.resolve(updated);
  }

  list(limit: number, after?: string): Promise<User[]> {
    const sorted = [...this.users.values()].sort((a, b) =>
      a.usernameNormalized.localeCompare(b.usernameNormalized),
    );
    return Promise.resolve(
      sorted
        .filter((user) => after === undefined || user.usernameNormalized > after)
        .slice(0, limit),
    );
  }

  count(): Promise<number> {
    return Promise.resolve(this.users.size);
  }
}
