import { describeEachDialect } from '../../test/support/database';
import { migrateToLatest } from './database.factory';

const TABLES = [
  'users',
  'sessions',
  'login_throttle',
  'login_known_ips',
  'audit_events',
  'blocks',
  'review_runs',
  'review_findings',
  'audit_seals',
  'audit_seal_head',
  'audit_login_stats',
];

describeEachDialect('migrations', (database) => {
  it('creates every table of DESIGN.md', async () => {
    const tables = await database().db.introspection.getTables();
    const names = tables.map((table) => table.name);
    for (const table of TABLES) expect(names).toContain(table);
  });

  it('is idempotent: a second run applies nothing', async () => {
    expect(await migrateToLatest(database().db)).toEqual([]);
  });

  it('gives audit events ever-increasing ids and returns 64-bit columns as numbers', async () => {
    const { db } = database();
    const base = {
      ts: new Date().toISOString(),
      type: 'authn_login_fail',
      level: 'WARN',
      outcome: 'failure',
      ip: '127.0.0.1',
      user_agent: 'ua',
      request_id: 'r',
      method: 'POST',
      path: '/auth/login',
    };
    const first = await db
      .insertInto('audit_events')
      .values(base)
      .returning('id')
      .executeTakeFirstOrThrow();
    const second = await db
      .insertInto('audit_events')
      .values(base)
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(typeof first.id).toBe('number');
    expect(second.id).toBeGreaterThan(first.id);
    const count = await db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(count.count).toBe(2);
    await db.deleteFrom('audit_events').execute();
  });

  it('enforces foreign keys (sessions need a user)', async () => {
    const { db } = database();
    const now = Date.now();
    await expect(
      db
        .insertInto('sessions')
        .values({
          id: 's1',
          user_id: 'missing',
          created_at: now,
          last_seen_at: now,
          expires_at: now,
          refresh_expires_at: now,
          refresh_hash: 'h',
          refresh_generation: 0,
          refresh_salt: 'salt',
          ip: '::1',
          user_agent: 'ua',
        })
        .execute(),
    ).rejects.toMatchObject({ message: expect.stringMatching(/foreign key/i) as unknown });
  });
});
