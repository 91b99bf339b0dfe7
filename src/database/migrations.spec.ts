import { describeEachDialect } from '../../test/support/database';
import { sql } from 'kysely';
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

  it('keeps sessions independent of the users table (a host user store logs in too)', async () => {
    const { db } = database();
    const now = Date.now();
    const session = (id: string) => ({
      id,
      user_id: 'external-user-1',
      created_at: now,
      last_seen_at: now,
      expires_at: now,
      refresh_expires_at: now,
      refresh_hash: `h-${id}`,
      refresh_generation: 0,
      refresh_salt: 'salt',
      ip: '::1',
      user_agent: 'ua',
    });
    await db.insertInto('sessions').values(session('s1')).execute();
    const [row] = await db.selectFrom('sessions').selectAll().where('id', '=', 's1').execute();
    expect(row).toMatchObject({ user_id: 'external-user-1', refresh_hash: 'h-s1' });
    await db.deleteFrom('sessions').execute();
  });

  it('keeps other foreign keys (findings need their run)', async () => {
    const { db } = database();
    await expect(
      sql`INSERT INTO review_findings (id, run_id, rule, severity, subject_kind, subject, evidence,
        first_seen, last_seen, sample_event_ids)
        VALUES ('f1', 'missing-run', 'r', 'low', 'ip', 's', '{}', 't', 't', '[]')`.execute(db),
    ).rejects.toMatchObject({ message: expect.stringMatching(/foreign key/i) as unknown });
  });
});
