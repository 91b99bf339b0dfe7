import { Kysely, sql } from 'kysely';
import { createPostgresSchema, postgresUrl } from '../../../test/support/database';
import { migrateToLatest, migrateUpTo, openDatabase } from '../database.factory';
import type { DB } from '../database.types';

const NOW = 1_800_000_000_000;

function session(id: string, userId: string, revoked = false) {
  return {
    id,
    user_id: userId,
    created_at: NOW,
    last_seen_at: NOW + 1,
    expires_at: NOW + 86_400_000,
    refresh_expires_at: NOW + 3_600_000,
    refresh_hash: `hash-${id}`,
    refresh_generation: 3,
    refresh_salt: `salt-${id}`,
    previous_refresh_hash: revoked ? null : `previous-${id}`,
    rotated_at: revoked ? null : NOW + 2,
    revoked_at: revoked ? NOW + 5 : null,
    revoked_reason: revoked ? 'logout' : null,
    ip: '192.0.2.1',
    user_agent: 'Mozilla/5.0',
  };
}

function user(id: string) {
  return {
    id,
    username: id,
    username_normalized: id,
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    roles: '["user"]',
    disabled: 0,
    created_at: NOW,
    updated_at: NOW,
    password_changed_at: NOW,
  };
}

/** The tables the `sessions` foreign keys point at, read from the schema itself. */
async function sessionsReferences(db: Kysely<DB>, dialect: string): Promise<string[]> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{
          target: string;
        }>`select "table" as target from pragma_foreign_key_list('sessions')`.execute(db)
      : await sql<{ target: string }>`select ccu.table_name as target
          from information_schema.table_constraints tc
          join information_schema.constraint_column_usage ccu
            on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
          where tc.table_name = 'sessions' and tc.constraint_type = 'FOREIGN KEY'
            and tc.table_schema = current_schema()`.execute(db);
  return rows.map((row) => row.target);
}

const allSessions = (db: Kysely<DB>) =>
  db.selectFrom('sessions').selectAll().orderBy('id').execute();

const dialects = [
  {
    name: 'sqlite',
    enabled: true,
    open: () => Promise.resolve({ url: 'sqlite::memory:', drop: () => Promise.resolve() }),
  },
  { name: 'postgres', enabled: Boolean(postgresUrl), open: createPostgresSchema },
];

describe.each(dialects)(
  'migration 0005 on an existing database [$name]',
  ({ name, enabled, open }) => {
    (enabled ? it : it.skip)(
      enabled
        ? 'keeps every session and then accepts sessions of users outside the users table'
        : `skipped: TEST_POSTGRES_URL not set (${name})`,
      async () => {
        const target = await open();
        const connection = openDatabase({ url: target.url, timeoutMs: 5000, poolSize: 1 });
        const { db } = connection;
        try {
          expect((await migrateUpTo(db, '0004_review_window_advance')).at(-1)).toBe(
            '0004_review_window_advance',
          );
          await db
            .insertInto('users')
            .values([user('u-1'), user('u-2')])
            .execute();
          await db
            .insertInto('sessions')
            .values([session('s-1', 'u-1'), session('s-2', 'u-1', true), session('s-3', 'u-2')])
            .execute();
          const before = await allSessions(db);
          // Before 0005, sessions reference the users table (a host store's user is refused).
          expect(await sessionsReferences(db, name)).toEqual(['users']);

          expect(await migrateToLatest(db)).toContain('0005_sessions_without_users_fk');

          expect(await sessionsReferences(db, name)).toEqual([]);
          expect(await allSessions(db)).toEqual(before);
          await db.insertInto('sessions').values(session('s-ext', 'ldap:carol')).execute();
          expect(
            await db.selectFrom('sessions').select('user_id').where('id', '=', 's-ext').execute(),
          ).toEqual([{ user_id: 'ldap:carol' }]);
          // The rebuilt table keeps its unique refresh hash. The refusal is read by its message:
          // better-sqlite3 makes its errors with the Error of the first test file that loaded it
          // in this worker, so `toThrow` (an instanceof check) misses them in a shared worker.
          const refusal = await db
            .insertInto('sessions')
            .values({ ...session('s-dup', 'u-2'), refresh_hash: 'hash-s-1' })
            .execute()
            .then(
              () => 'inserted',
              (error: unknown) => String((error as { message?: unknown }).message),
            );
          expect(refusal).toMatch(/unique/i);
        } finally {
          await connection.close();
          await target.drop();
        }
      },
      // Two full migration runs; on a loaded two-core machine that can pass Jest's 5 s default.
      30_000,
    );
  },
);
