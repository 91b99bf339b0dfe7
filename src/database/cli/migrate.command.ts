import { Command, CommandRunner } from 'nest-commander';
import { Kysely } from 'kysely';
import { migrateToLatest } from '../database.factory';
import { InjectKysely } from '../database.module';
import type { DB } from '../database.types';

@Command({ name: 'db:migrate', description: 'Apply pending database migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async run(): Promise<void> {
    const applied = await migrateToLatest(this.db);
    process.stdout.write(
      applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
    );
  }
}
