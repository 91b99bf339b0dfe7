import { DynamicModule, INestApplicationContext, Module, Type } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { AuditReviewCommand } from './audit/review';
import { CLI_COMMANDS } from './cli.commands';
import {
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_USAGE,
  Interrupted,
  parseCommandLine,
  ParsedInvocation,
  UsageError,
} from './cli/index';
import { runWithRequestContext, systemContext } from './common';
import { GatehouseCommandScope, markCliProcess } from './gatehouse';
import { PasswordQuestions } from './users';

/** A module that imports GatehouseModule (directly or through its imports): the host's own. */
export type GatehouseCliModule = Type | DynamicModule;

export interface GatehouseCliOptions {
  /** Default `process.argv` (`[node, script, command, ...]`). */
  argv?: string[];
}

/** How the service's own `gatehouse` bin differs: it loads its config only once argv parsed. */
export interface CommandLineHooks {
  /** Called only for a command that runs (never for help, version or a usage error). */
  module: (invocation: ParsedInvocation) => GatehouseCliModule;
  /** Runs `audit:review --file` without building any module; undefined: the command runs it. */
  offlineFileReview?: (options: Record<string, unknown>) => Promise<void>;
}

function commandScope(app: { get: INestApplicationContext['get'] }): GatehouseCommandScope {
  try {
    return app.get(GatehouseCommandScope, { strict: false });
  } catch {
    throw new Error(
      'the module given to runGatehouseCli does not import GatehouseModule (forRoot or forRootAsync)',
    );
  }
}

/** The context the commands run in: the host's module, plus the password prompt. */
@Module({})
class GatehouseCliRoot {}

/**
 * Runs the Gatehouse command line over the host's own module, so every command uses what the
 * host composed: its user store, its sinks and the detectors it registered (for `audit:review`
 * and `audit:review --file` alike), its options (factories and ConfigModule included).
 *
 *   // src/cli.ts of the host
 *   import { runGatehouseCli } from 'gatehouse';
 *   import { AppModule } from './app.module';
 *   void runGatehouseCli(AppModule);
 *
 * Same commands, output, exit codes and audit events as the `gatehouse` bin (docs/cli.md).
 * Resolves to the exit code, which it also sets as `process.exitCode`.
 */
export function runGatehouseCli(
  hostModule: GatehouseCliModule,
  options: GatehouseCliOptions = {},
): Promise<number> {
  return runCommandLine({ module: () => hostModule }, options.argv);
}

/** The one command-line runner, for a host's module and for the service's own bin. */
export async function runCommandLine(
  hooks: CommandLineHooks,
  argv: string[] = process.argv,
): Promise<number> {
  try {
    const parsed = await parseCommandLine(CLI_COMMANDS, argv);
    if (parsed.kind === 'exit') {
      process.exitCode = parsed.code;
      return parsed.code;
    }
    await runInvocation(hooks, parsed.invocation);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`gatehouse: ${message.split('\n')[0]}\n`);
    process.exitCode =
      error instanceof UsageError
        ? EXIT_USAGE
        : error instanceof Interrupted
          ? EXIT_INTERRUPTED
          : EXIT_FAILURE;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

async function runInvocation(hooks: CommandLineHooks, invocation: ParsedInvocation): Promise<void> {
  const { command, name, params, options } = invocation;
  const fileReview = command === AuditReviewCommand && Array.isArray(options.file);
  if (fileReview && hooks.offlineFileReview) {
    await hooks.offlineFileReview(options);
    return;
  }
  // Before the module boots: its option factories read this (no file sink, no job, ...).
  markCliProcess({ migrate: name !== 'db:migrate' && !fileReview });
  const root: DynamicModule = {
    module: GatehouseCliRoot,
    imports: [hooks.module(invocation)],
    providers: [PasswordQuestions],
  };
  // Commands run in a CLI request context, so their audit events say so.
  await runWithRequestContext(systemContext('CLI', name), async () => {
    const app = await CommandFactory.createWithoutRunning(root, {
      logger: ['error'],
      cliName: 'gatehouse',
    });
    try {
      const scope = commandScope(app);
      const runner = await scope.create(command);
      await runner.run(params, options);
    } finally {
      await app.close();
    }
  });
}
