import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Provider, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { Command as Commander, CommanderError } from 'commander';
import { CommandFactory, CommandRunner, CommandRunnerService } from 'nest-commander';
import { EXIT_OK, EXIT_USAGE } from './exit-codes';

/** What the command line asked for, once it parsed: the command class and its arguments. */
export interface ParsedInvocation {
  command: Type<CommandRunner>;
  name: string;
  params: string[];
  options: Record<string, unknown>;
}

export type ParseOutcome =
  { kind: 'run'; invocation: ParsedInvocation } | { kind: 'exit'; code: number };

function packageVersion(): string {
  // dist/cli/command-line.js and src/cli/command-line.ts both sit two levels below the root.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * A command whose constructor never ran: nest-commander reads its metadata (name, options,
 * parsers) to build the help and parse argv, and `run` only records what was asked. Nothing
 * it depends on (config, database, secrets) is created, so help, version and usage errors
 * need no configuration and touch no file.
 */
function shellOf(
  command: Type<CommandRunner>,
  record: (invocation: ParsedInvocation) => void,
): Provider {
  return {
    provide: command,
    useFactory: () => {
      const shell = Object.create(command.prototype as object) as CommandRunner;
      Object.defineProperty(shell, 'run', {
        value: (params: string[], options: Record<string, unknown> = {}) => {
          record({ command, name: '', params, options });
          return Promise.resolve();
        },
      });
      return shell;
    },
  };
}

function eachCommand(root: Commander, apply: (command: Commander) => void): void {
  apply(root);
  for (const command of root.commands) eachCommand(command, apply);
}

/**
 * Parses argv against the commands' metadata only. Help and version end here with 0; an
 * unknown command or flag, a missing or bad option value, or no command at all with 2
 * (one line on stderr, then the usage).
 */
export async function parseCommandLine(
  commands: Type<CommandRunner>[],
  argv: string[] = process.argv,
): Promise<ParseOutcome> {
  let invocation: ParsedInvocation | undefined;
  @Module({
    providers: commands.map((command) =>
      shellOf(command, (found) => (invocation = { ...found, name: argv[2] ?? '' })),
    ),
  })
  class CommandLineModule {}

  const app = await CommandFactory.createWithoutRunning(CommandLineModule, {
    logger: false,
    cliName: 'gatehouse',
  });
  const runner: unknown = app.get(CommandRunnerService);
  const program = (runner as { commander: Commander }).commander;
  program.name('gatehouse').version(packageVersion(), '-V, --version', 'print the version');
  eachCommand(program, (command) => {
    command
      .exitOverride()
      .showHelpAfterError(true)
      .configureOutput({
        outputError: (text, write) => write(text.replace(/^error: /, 'gatehouse: ')),
      });
  });
  try {
    if (argv.length <= 2) {
      process.stderr.write('gatehouse: no command given\n');
      program.outputHelp({ error: true });
      return { kind: 'exit', code: EXIT_USAGE };
    }
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const asked = ['commander.helpDisplayed', 'commander.version'].includes(error.code);
      return { kind: 'exit', code: asked || error.exitCode === 0 ? EXIT_OK : EXIT_USAGE };
    }
    // An option parser refused its value: one line, then that command's usage.
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stderr.write(`gatehouse: ${message}\n`);
    const command = program.commands.find((candidate) => candidate.name() === argv[2]);
    process.stderr.write((command ?? program).helpInformation());
    return { kind: 'exit', code: EXIT_USAGE };
  } finally {
    await app.close();
  }
  if (!invocation) {
    // Only a parent command without action gets here (none today); treat it as usage.
    program.outputHelp({ error: true });
    return { kind: 'exit', code: EXIT_USAGE };
  }
  return { kind: 'run', invocation };
}
