import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit';
import {
  CursorCodec,
  DomainError,
  notFound,
  Page,
  readPage,
  Role,
  validationFailed,
} from '../common';
import { DeclaredRoles } from './declared-roles';
import { HashPriority, PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import type { User } from './user';
import { UserLifecycleHooks } from './user-lifecycle.port';
import { LastAdminError, UsernameTakenError, UsersRepository } from './users.repository';
import { codePointLength, normalizeUsername } from './username';

export const USERNAME_MAX_LENGTH = 128;

export type CredentialCheck =
  | { outcome: 'success'; user: User }
  | { outcome: 'unknown_user'; usernameNormalized: string }
  | { outcome: 'bad_password' | 'disabled'; user: User };

export interface CreateUserRequest {
  username: string;
  password: string;
  roles?: Role[];
}

export interface UpdateUserRequest {
  disabled?: boolean;
  roles?: Role[];
}

/** Every rule about users: creation, credentials, roles, disabling, password changes. */
/** The cursor of a users page: the normalised username of its last user. */
const USERS_CURSOR = new CursorCodec<string>(
  'us1:',
  (username) => username,
  (text) => (text.length > 0 ? text : undefined),
);

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly audit: AuditService,
    private readonly lifecycle: UserLifecycleHooks,
    private readonly roles: DeclaredRoles,
  ) {}

  /** The roles this application declares (the `roles` option). */
  get declaredRoles(): readonly Role[] {
    return this.roles.list;
  }

  findById(id: string): Promise<User | undefined> {
    return this.users.findById(id);
  }

  findByUsername(username: string): Promise<User | undefined> {
    return this.users.findByNormalizedUsername(normalizeUsername(username));
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw notFound('User not found');
    return user;
  }

  count(): Promise<number> {
    return this.users.count();
  }

  list(limit: number, after?: string): Promise<User[]> {
    return this.users.list(limit, after);
  }

  /** One page of users by normalised username, for `GET /users`. */
  page(limit: number, cursor?: string): Promise<Page<User>> {
    const after = USERS_CURSOR.decodeOptional(cursor);
    return readPage(
      limit,
      (take) => this.users.list(take, after),
      (last) => USERS_CURSOR.encode(last.usernameNormalized),
    );
  }

  assertPasswordAllowed(password: string, username: string): void {
    const violations = this.policy.violations(password, username);
    if (violations.length > 0) {
      throw new DomainError('PASSWORD_POLICY', 'Password does not meet the policy', {
        errors: violations,
      });
    }
  }

  async create(request: CreateUserRequest, options: { audit?: boolean } = {}): Promise<User> {
    const username = request.username.trim();
    const usernameNormalized = normalizeUsername(username);
    const length = codePointLength(usernameNormalized);
    if (length < 1 || length > USERNAME_MAX_LENGTH) {
      throw validationFailed(`username must be 1 to ${USERNAME_MAX_LENGTH} characters`);
    }
    this.roles.assertDeclared(request.roles);
    this.assertPasswordAllowed(request.password, username);
    if (await this.users.findByNormalizedUsername(usernameNormalized)) throw usernameTaken();
    const passwordHash = await this.hasher.hash(request.password);
    let user: User;
    try {
      user = await this.users.insert({
        id: randomUUID(),
        username,
        usernameNormalized,
        passwordHash,
        roles: request.roles && request.roles.length > 0 ? [...new Set(request.roles)] : ['user'],
        now: Date.now(),
      });
    } catch (error) {
      if (error instanceof UsernameTakenError) throw usernameTaken();
      throw error;
    }
    if (options.audit !== false) {
      await this.audit.record({
        type: 'user_created',
        outcome: 'success',
        username: user.usernameNormalized,
        userId: user.id,
        details: { roles: user.roles },
      });
    }
    return user;
  }

  /**
   * Checks a username and password. Always spends one argon2 verify, on a dummy hash for an
   * unknown user, so the answer's timing does not reveal which usernames exist. A hash with
   * weaker parameters than the current ones is replaced after a successful check.
   */
  /** `priority`: whose check goes first in the bounded hash queue (HashQueueFullError when shed). */
  async verifyCredentials(
    username: string,
    password: string,
    priority: HashPriority = 'known',
  ): Promise<CredentialCheck> {
    const usernameNormalized = normalizeUsername(username);
    const user = await this.users.findByNormalizedUsername(usernameNormalized);
    if (!user) {
      await this.hasher.verifyDummy(password, priority);
      return { outcome: 'unknown_user', usernameNormalized };
    }
    const { valid, needsRehash } = await this.hasher.verify(user.passwordHash, password, priority);
    if (!valid) return { outcome: 'bad_password', user };
    if (user.disabled) return { outcome: 'disabled', user };
    if (needsRehash) {
      const passwordHash = await this.hasher.hash(password);
      const updated = await this.users.update(user.id, { passwordHash }, Date.now());
      return { outcome: 'success', user: updated ?? user };
    }
    return { outcome: 'success', user };
  }

  /**
   * Changes roles or the disabled flag. A change that would leave no enabled admin (the last
   * one demoting or disabling itself, or being demoted or disabled) is `409 LAST_ADMIN`,
   * decided by the store atomically with the write.
   */
  async update(id: string, request: UpdateUserRequest): Promise<User> {
    this.roles.assertDeclared(request.roles);
    const before = await this.getById(id);
    let user: User | undefined;
    try {
      user = await this.users.update(
        id,
        {
          disabled: request.disabled,
          roles: request.roles && [...new Set(request.roles)],
          keepAnEnabledAdmin: request.disabled === true || request.roles !== undefined,
        },
        Date.now(),
      );
    } catch (error) {
      if (error instanceof LastAdminError) {
        throw new DomainError('LAST_ADMIN', 'This change would leave no enabled admin');
      }
      throw error;
    }
    if (!user) throw notFound('User not found');
    await this.audit.record({
      type: 'user_updated',
      outcome: 'success',
      username: user.usernameNormalized,
      userId: user.id,
      details: { disabled: user.disabled, roles: user.roles },
    });
    if (user.disabled && !before.disabled) {
      await this.lifecycle.onDisabled(user);
    } else if (before.roles.some((role) => !user.roles.includes(role))) {
      await this.lifecycle.onRolesReduced(user);
    }
    return user;
  }

  async unlock(id: string): Promise<void> {
    const user = await this.getById(id);
    await this.lifecycle.onUnlocked(user);
    await this.audit.record({
      type: 'user_unlocked',
      outcome: 'success',
      username: user.usernameNormalized,
      userId: user.id,
    });
  }

  /**
   * Changes a user's own password. The caller (auth) revokes the user's other sessions.
   * Wrong current password: `401 INVALID_CREDENTIALS`; weak new one: `400 PASSWORD_POLICY`.
   */
  async changePassword(id: string, currentPassword: string, newPassword: string): Promise<User> {
    const user = await this.getById(id);
    const { valid } = await this.hasher.verify(user.passwordHash, currentPassword);
    if (!valid) {
      await this.audit.record({
        type: 'authn_password_change',
        outcome: 'failure',
        username: user.usernameNormalized,
        userId: user.id,
        reason: 'bad_password',
      });
      throw new DomainError('INVALID_CREDENTIALS', 'Invalid credentials');
    }
    this.assertPasswordAllowed(newPassword, user.username);
    const passwordHash = await this.hasher.hash(newPassword);
    const updated = await this.users.update(
      id,
      { passwordHash, passwordChanged: true },
      Date.now(),
    );
    await this.audit.record({
      type: 'authn_password_change',
      outcome: 'success',
      username: user.usernameNormalized,
      userId: user.id,
    });
    return updated ?? user;
  }
}

function usernameTaken(): DomainError {
  return new DomainError('USERNAME_TAKEN', 'Username is taken');
}
