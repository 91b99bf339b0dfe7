import { Injectable } from '@nestjs/common';
import { Kysely, Selectable, sql } from 'kysely';
import type { Role } from '../common';
import { DB, InjectKysely, isPostgres, UsersTable } from '../database';
import type { User } from './user';

export interface NewUser {
  id: string;
  username: string;
  usernameNormalized: string;
  passwordHash: string;
  roles: Role[];
  now: number;
}

export interface UserPatch {
  disabled?: boolean;
  roles?: Role[];
  passwordHash?: string;
  passwordChanged?: boolean;
  /**
   * Refuse (LastAdminError) when this patch would leave no enabled admin. A store checks it
   * atomically with the write: two admins demoting each other at once must not both succeed.
   */
  keepAnEnabledAdmin?: boolean;
}

export const ADMIN_ROLE: Role = 'admin';

/** Raised by a store when a patch with `keepAnEnabledAdmin` would leave no enabled admin. */
export class LastAdminError extends Error {
  constructor() {
    super('Last enabled admin');
  }
}

/** Whether a user with these values is an enabled admin once the patch applies. */
export function isEnabledAdminAfter(
  user: { disabled: boolean; roles: readonly Role[] },
  patch: UserPatch,
): boolean {
  const disabled = patch.disabled ?? user.disabled;
  const roles = patch.roles ?? user.roles;
  return !disabled && roles.includes(ADMIN_ROLE);
}

/** Raised by a store when the normalised username exists already. */
export class UsernameTakenError extends Error {
  constructor() {
    super('Username taken');
  }
}

/**
 * The user store: an abstract class used as the injection token, so a team can bind LDAP or
 * its own table (`UsersModule.forRoot({ ... }, store)`). Usernames are looked up normalised.
 */
export abstract class UsersRepository {
  abstract findById(id: string): Promise<User | undefined>;
  abstract findByNormalizedUsername(usernameNormalized: string): Promise<User | undefined>;
  /** Throws UsernameTakenError on a duplicate normalised username. */
  abstract insert(user: NewUser): Promise<User>;
  abstract update(id: string, patch: UserPatch, now: number): Promise<User | undefined>;
  /** Ordered by normalised username; `after` is the last one of the previous page. */
  abstract list(limit: number, after?: string): Promise<User[]>;
  abstract count(): Promise<number>;
}

function userFromRow(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    usernameNormalized: row.username_normalized,
    passwordHash: row.password_hash,
    roles: row.roles.split(',').filter(Boolean) as Role[],
    disabled: Number(row.disabled) === 1,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
    passwordChangedAt: new Date(Number(row.password_changed_at)).toISOString(),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: string; message?: string };
  return candidate.code === '23505' || candidate.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

@Injectable()
export class KyselyUsersRepository extends UsersRepository {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async findByNormalizedUsername(usernameNormalized: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username_normalized', '=', usernameNormalized)
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async insert(user: NewUser): Promise<User> {
    try {
      const row = await this.db
        .insertInto('users')
        .values({
          id: user.id,
          username: user.username,
          username_normalized: user.usernameNormalized,
          password_hash: user.passwordHash,
          roles: user.roles.join(','),
          disabled: 0,
          created_at: user.now,
          updated_at: user.now,
          password_changed_at: user.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return userFromRow(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new UsernameTakenError();
      throw error;
    }
  }

  async update(id: string, patch: UserPatch, now: number): Promise<User | undefined> {
    if (!patch.keepAnEnabledAdmin) return this.write(this.db, id, patch, now);
    return this.db.transaction().execute(async (trx) => {
      // Every enabled admin's row, locked in id order on PostgreSQL (SQLite runs one write
      // transaction at a time): a concurrent demotion waits here, then sees this one's result.
      let query = trx
        .selectFrom('users')
        .select(['id', 'disabled', 'roles'])
        .where('disabled', '=', 0)
        .where(sql<string>`',' || roles || ','`, 'like', `%,${ADMIN_ROLE},%`)
        .orderBy('id');
      if (isPostgres(trx as unknown as Kysely<unknown>)) query = query.forUpdate();
      const admins = await query.execute();
      const target = admins.find((row) => row.id === id);
      if (target !== undefined && admins.length === 1) {
        const roles = target.roles.split(',').filter(Boolean) as Role[];
        if (!isEnabledAdminAfter({ disabled: false, roles }, patch)) throw new LastAdminError();
      }
      return this.write(trx, id, patch, now);
    });
  }

  private async write(
    db: Kysely<DB>,
    id: string,
    patch: UserPatch,
    now: number,
  ): Promise<User | undefined> {
    const row = await db
      .updateTable('users')
      .set({
        updated_at: now,
        ...(patch.disabled === undefined ? {} : { disabled: patch.disabled ? 1 : 0 }),
        ...(patch.roles === undefined ? {} : { roles: patch.roles.join(',') }),
        ...(patch.passwordHash === undefined ? {} : { password_hash: patch.passwordHash }),
        ...(patch.passwordChanged ? { password_changed_at: now } : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async list(limit: number, after?: string): Promise<User[]> {
    let query = this.db.selectFrom('users').selectAll();
    if (after !== undefined) query = query.where('username_normalized', '>', after);
    const rows = await query.orderBy('username_normalized', 'asc').limit(limit).execute();
    return rows.map(userFromRow);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
