import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { postgresUrl } from '../../test/support/database';
import { isDatabaseUnavailable } from '../common';
import { openDatabase } from './database.factory';

/** Polls `probe` every 20 ms until it holds, failing after `timeoutMs`. */
async function until(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const title = 'PostgreSQL backends terminated under checked-out clients';
(postgresUrl ? describe : describe.skip)(
  postgresUrl ? title : `${title} [skipped: TEST_POSTGRES_URL not set]`,
  () => {
    it('fails the queries in flight as unavailable, never the process, and serves again', async () => {
      // Only this test's sessions are terminated: the shared server has other users.
      const applicationName = `gh_factory_${randomBytes(5).toString('hex')}`;
      const separator = postgresUrl!.includes('?') ? '&' : '?';
      const poolErrors: Error[] = [];
      const connection = openDatabase({
        url: `${postgresUrl}${separator}application_name=${applicationName}`,
        timeoutMs: 10_000,
        poolSize: 3,
        onPoolError: (error) => poolErrors.push(error),
      });
      const admin = new Pool({ connectionString: postgresUrl, max: 1 });
      try {
        // Three clients checked out at once, each inside a query when its backend goes.
        const inFlight = [1, 2, 3].map(() =>
          sql`select pg_sleep(8)`.execute(connection.db).then(
            () => undefined,
            (error: unknown) => error,
          ),
        );
        const active = async (): Promise<number> =>
          Number(
            (
              await admin.query<{ n: string }>(
                `select count(*) as n from pg_stat_activity where application_name = $1 and state = 'active'`,
                [applicationName],
              )
            ).rows[0].n,
          );
        await until(async () => (await active()) === 3, 5000, 'three queries running');
        const terminated = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`,
          [applicationName],
        );
        expect(terminated.rowCount).toBe(3);

        const errors = await Promise.all(inFlight);
        for (const error of errors) {
          expect(error).toBeInstanceOf(Error);
          expect(isDatabaseUnavailable(error)).toBe(true);
        }
        // The broken clients left the pool: the next queries get fresh connections.
        const answers = await Promise.all(
          [1, 2, 3].map(() => sql<{ one: number }>`select 1 as one`.execute(connection.db)),
        );
        expect(answers.map((answer) => answer.rows[0].one)).toEqual([1, 1, 1]);
      } finally {
        await connection.close();
        await admin.end();
      }
    });

    it('survives a backend terminated while its client is checked out between statements', async () => {
      // A transaction holds its client between statements: the server's 57P01 then arrives with
      // no query to fail and was emitted as an unhandled 'error', which ended the process.
      const applicationName = `gh_factory_${randomBytes(5).toString('hex')}`;
      const separator = postgresUrl!.includes('?') ? '&' : '?';
      const poolErrors: Error[] = [];
      const connection = openDatabase({
        url: `${postgresUrl}${separator}application_name=${applicationName}`,
        timeoutMs: 10_000,
        poolSize: 2,
        onPoolError: (error) => poolErrors.push(error),
      });
      const admin = new Pool({ connectionString: postgresUrl, max: 1 });
      try {
        let heldClient!: () => void;
        const released = new Promise<void>((resolve) => (heldClient = resolve));
        let inside!: () => void;
        const started = new Promise<void>((resolve) => (inside = resolve));
        const transaction = connection.db
          .transaction()
          .execute(async (trx) => {
            await sql`select 1`.execute(trx);
            inside();
            await released;
            await sql`select 2`.execute(trx);
          })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        await started;
        const terminated = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`,
          [applicationName],
        );
        expect(terminated.rowCount).toBe(1);
        // The checked-out client's own 'error' event is the signal that it was heard.
        await until(() => Promise.resolve(poolErrors.length > 0), 5000, 'client error heard');
        expect((poolErrors[0] as { code?: string }).code).toBe('57P01');
        heldClient();
        const error = await transaction;
        expect(error).toBeInstanceOf(Error);
        expect(isDatabaseUnavailable(error)).toBe(true);

        const answer = await sql<{ one: number }>`select 1 as one`.execute(connection.db);
        expect(answer.rows[0].one).toBe(1);
      } finally {
        await connection.close();
        await admin.end();
      }
    });
  },
);
