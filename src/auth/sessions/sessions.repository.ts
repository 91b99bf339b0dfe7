import { Injectable } from '@nestjs/common';
import { Kysely, Selectable } from 'kysely';
import { DB, InjectKysely, SessionsTable } from '../../database';
import type { Session, SessionState } from './session';

export interface Rotation {
  fromGeneration: number;
  refreshHash: string;
  previousRefreshHash: string;
  rotatedAt: number;
  refreshExpiresAt: number;
}

/** All I/O on sessions. Times are epoch ms. */
export abstract class SessionsRepository {
  abstract insert(session: Session): Promise<void>;
  abstract findById(id: string): Promise<Session | undefined>;
  /** Session liveness joined with its user's state, for the guard's cache misses. */
  abstract findState(id: string): Promise<SessionState | undefined>;
  /** Compare-and-set on the generation; false when another request rotated first. */
  abstract rotate(id: string, rotation: Rotation): Promise<boolean>;
  abstract touch(id: string, now: number): Promise<void>;
  /** Returns whether this call revoked it (false when already revoked or unknown). */
  abstract revoke(id: string, reason: string, now: number): Promise<boolean>;
  /** Revokes every live session of the user but `exceptId`; returns the ids revoked. */
  abstract revokeAllForUser(
    userId: string,
    reason: string,
    now: number,
    exceptId?: string,
  ): Promise<string[]>;
  /** Live sessions (not revoked, not past either end), newest first. */
  abstract listLiveForUser(userId: string, now: number): Promise<Session[]>;
  abstract deleteEndedBefore(before: number): Promise<number>;
}

function sessionFromRow(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    refreshExpiresAt: Number(row.refresh_expires_at),
    refreshHash: row.refresh_hash,
    refreshGeneration: Number(row.refresh_generation),
    refreshSalt: row.refresh_salt,
    previousRefreshHash: row.previous_refresh_hash,
    rotatedAt: row.rotated_at === null ? null : Number(row.rotated_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    revokedReason: row.revoked_reason,
    ip: row.ip,
    userAgent: row.user_agent,
  };
}

@Injectable()
export class KyselySessionsRepository extends SessionsRepository {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async insert(session: Session): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: session.id,
        user_id: session.userId,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
        expires_at: session.expiresAt,
        refresh_expires_at: session.refreshExpiresAt,
        refresh_hash: session.refreshHash,
        refresh_generation: session.refreshGeneration,
        refresh_salt: session.refreshSalt,
        previous_refresh_hash: session.previousRefreshHash,
        rotated_at: session.rotatedAt,
        revoked_at: session.revokedAt,
        revoked_reason: session.revokedReason,
        ip: session.ip,
        user_agent: session.userAgent,
      })
      .execute();
  }

  async findById(id: string): Promise<Session | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && sessionFromRow(row);
  }

  async findState(id: string): Promise<SessionState | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      // A left join: with a host's user store there is no row in Gatehouse's users table.
      .leftJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.user_id as userId',
        'users.username_normalized as usernameNormalized',
        'users.disabled as disabled',
        'sessions.expires_at as expiresAt',
        'sessions.revoked_at as revokedAt',
      ])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      userId: row.userId,
      usernameNormalized: row.usernameNormalized ?? undefined,
      expiresAt: Number(row.expiresAt),
      ended: row.revokedAt !== null || Number(row.disabled) === 1,
    };
  }

  async rotate(id: string, rotation: Rotation): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({
        refresh_hash: rotation.refreshHash,
        previous_refresh_hash: rotation.previousRefreshHash,
        refresh_generation: rotation.fromGeneration + 1,
        rotated_at: rotation.rotatedAt,
        last_seen_at: rotation.rotatedAt,
        refresh_expires_at: rotation.refreshExpiresAt,
      })
      .where('id', '=', id)
      .where('refresh_generation', '=', rotation.fromGeneration)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  }

  async revoke(id: string, reason: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeAllForUser(
    userId: string,
    reason: string,
    now: number,
    exceptId?: string,
  ): Promise<string[]> {
    let query = this.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
    const rows = await query.returning('id').execute();
    return rows.map((row) => row.id);
  }

  async listLiveForUser(userId: string, now: number): Promise<Session[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where('refresh_expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(sessionFromRow);
  }

  async deleteEndedBefore(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where((eb) =>
        eb.or([
          eb('expires_at', '<', before),
          eb('refresh_expires_at', '<', before),
          eb('revoked_at', '<', before),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
