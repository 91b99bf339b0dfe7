import { Pool } from 'pg';
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

    // The flaky "schema gh_test_… does not exist" at startup: the migrator looked at the tables
    // of EVERY schema, through functions that resolve schema names (has_schema_privilege,
    // pg_get_serial_sequence), so another deployment or test dropping its schema at that moment
    // failed this one's migration. Other schemas come and go here while fresh ones migrate.
    it('migrates while other schemas of the database are created and dropped', async () => {
      const admin = new Pool({ connectionString: postgresUrl, max: 1 });
      let stop = false;
      let churned = 0;
      const churn = (async () => {
        while (!stop) {
          const other = `gh_test_churn_${process.pid}_${churned++}`;
          await admin.query(
            `CREATE SCHEMA ${other}; CREATE TABLE ${other}.t (id serial PRIMARY KEY, v text)`,
          );
          await admin.query(`DROP SCHEMA ${other} CASCADE`);
        }
      })();
      const failures: string[] = [];
      try {
        for (let run = 0; run < 15; run++) {
          const schema = await createPostgresSchema();
          const connection = openDatabase({ url: schema.url, timeoutMs: 5000, poolSize: 1 });
          try {
            await migrateToLatest(connection.db);
          } catch (error) {
            failures.push((error as Error).message);
          } finally {
            await connection.close();
            await schema.drop();
          }
        }
      } finally {
        stop = true;
        await churn;
        await admin.end();
      }
      expect(churned).toBeGreaterThan(15);
      expect(failures).toEqual([]);
    });
  },
);
