import { CommandFactory, CommandRunner } from 'nest-commander';
import { CLI_COMMANDS, CliModule } from '../cli.module';
import { runWithRequestContext, systemContext } from '../common';
import { loadConfigOrExit } from '../config/load-config-or-exit';
import { parseCommandLine } from './command-line';

/**
 * Every command but the plain offline review: argv is parsed against the commands' metadata
 * alone, so `--help`, `--version` and usage errors need no configuration, no secret and
 * create no file; only a command that actually runs loads the config and opens the
 * database. Commands run in a CLI request context, so their audit events say so.
 */
export async function runNestCli(): Promise<void> {
  const parsed = await parseCommandLine(CLI_COMMANDS);
  if (parsed.kind === 'exit') {
    process.exitCode = parsed.code;
    return;
  }
  const { command, name, params, options } = parsed.invocation;
  const config = loadConfigOrExit();
  await runWithRequestContext(systemContext('CLI', name), async () => {
    const app = await CommandFactory.createWithoutRunning(
      CliModule.forRoot(config, { migrate: name !== 'db:migrate' }),
      { logger: ['error'], cliName: 'gatehouse' },
    );
    try {
      await app.get<CommandRunner>(command).run(params, options);
    } finally {
      await app.close();
    }
  });
}
