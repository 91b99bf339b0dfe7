import { Command, CommandRunner, Option } from 'nest-commander';
import { JSON_OPTION, printJson, printLines, startProgress } from '../../cli/index';
import { Kysely } from 'kysely';
import { migrateToLatest } from '../database.factory';
import { InjectKysely } from '../database.module';
import type { DB } from '../database.types';

@Command({ name: 'db:migrate', description: 'Apply pending database migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {
    super();
  }

  async run(_params: string[] = [], options: { json?: boolean } = {}): Promise<void> {
    const progress = startProgress('Migrating', 'migrations');
    const applied = await migrateToLatest(this.db, ({ applied, total, running }) =>
      progress.update(applied, { total, step: running }),
    ).finally(progress.stop);
    if (options.json) printJson({ applied });
    else
      printLines([
        applied.length > 0 ? `Applied ${applied.join(', ')}` : 'The database is up to date.',
      ]);
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}
