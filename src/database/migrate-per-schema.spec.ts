import { createPostgresSchema, postgresUrl } from '../../test/support/database';
import { migrateToLatest, openDatabase } from './database.factory';

const title = 'migrations on a PostgreSQL schema next to another migrated one';
(postgresUrl ? describe : describe.skip)(
  postgresUrl ? title : `${title} [skipped: TEST_POSTGRES_URL not set]`,
  () => {
    it('migrates a fresh schema although another schema already holds the migration tables', async () => {
      const first = await createPostgresSchema();
      const second = await createPostgresSchema();
      const one = openDatabase({ url: first.url, timeoutMs: 5000, poolSize: 1 });
      const two = openDatabase({ url: second.url, timeoutMs: 5000, poolSize: 1 });
      try {
        const applied = await migrateToLatest(one.db);
        expect(applied.length).toBeGreaterThan(0);
        // Several deployments (or parallel test runs) in one database: each schema is its own.
        expect(await migrateToLatest(two.db)).toEqual(applied);
        expect(await migrateToLatest(two.db)).toEqual([]);
      } finally {
        await one.close();
        await two.close();
        await first.drop();
        await second.drop();
      }
    });
  },
);
