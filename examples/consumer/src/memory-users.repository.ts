import { Injectable } from '@nestjs/common';
import {
  isEnabledAdminAfter,
  LastAdminError,
  NewUser,
  User,
  UsernameTakenError,
  UserPatch,
  UsersRepository,
} from 'gatehouse';

/** This app's own user store (a Map here; your LDAP or table in real life). */
@Injectable()
export class MemoryUsersRepository extends UsersRepository {
  private readonly users = new Map<string, User>();

  async findById(id: string) {
    return this.users.get(id);
  }

  async findByNormalizedUsername(usernameNormalized: string) {
    return [...this.users.values()].find((u) => u.usernameNormalized === usernameNormalized);
  }

  async insert(user: NewUser) {
    if (await this.findByNormalizedUsername(user.usernameNormalized)) {
      throw new UsernameTakenError();
    }
    const at = new Date(user.now).toISOString();
    const { now: _now, ...fields } = user;
    const stored: User = {
      ...fields,
      disabled: false,
      createdAt: at,
      updatedAt: at,
      passwordChangedAt: at,
    };
    this.users.set(user.id, stored);
    return stored;
  }

  async update(id: string, patch: UserPatch, now: number) {
    const user = this.users.get(id);
    if (!user) return undefined;
    const admins = [...this.users.values()].filter((u) => isEnabledAdminAfter(u, {}));
    const lastAdmin = admins.length === 1 && admins[0].id === id;
    if (patch.keepAnEnabledAdmin && lastAdmin && !isEnabledAdminAfter(user, patch)) {
      throw new LastAdminError();
    }
    const at = new Date(now).toISOString();
    const updated: User = {
      ...user,
      updatedAt: at,
      disabled: patch.disabled ?? user.disabled,
      roles: patch.roles ?? user.roles,
      passwordHash: patch.passwordHash ?? user.passwordHash,
      passwordChangedAt: patch.passwordChanged ? at : user.passwordChangedAt,
    };
    this.users.set(id, updated);
    return updated;
  }

  async list(limit: number, after?: string) {
    return [...this.users.values()]
      .sort((a, b) => a.usernameNormalized.localeCompare(b.usernameNormalized))
      .filter((u) => after === undefined || u.usernameNormalized > after)
      .slice(0, limit);
  }

  async count() {
    return this.users.size;
  }
}
