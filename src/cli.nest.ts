import { CliModule } from './cli.module';
import { runCommandLine } from './cli-runner';
import { loadConfigOrExit } from './config';

/**
 * Every `gatehouse` invocation but the plain offline review (`cli.ts` runs that one without
 * loading Nest): argv is parsed against the commands' metadata alone, so `--help`, `--version`
 * and usage errors need no configuration, no secret and create no file; only a command that
 * actually runs loads the config and opens the database. The same runner serves a host's
 * module (`runGatehouseCli`).
 */
export async function runNestCli(): Promise<void> {
  await runCommandLine({
    module: ({ name }) => CliModule.forRoot(loadConfigOrExit(), { migrate: name !== 'db:migrate' }),
  });
}
