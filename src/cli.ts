#!/usr/bin/env node
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';
import { runWithRequestContext, systemContext } from './common';
import { loadConfigOrExit } from './config/load-config-or-exit';

/**
 * `gatehouse <command>` (also `npm run cli -- <command>`). Errors end with exit code 1 and
 * one line on stderr. Commands run in a CLI request context, so their audit events say so.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const command = process.argv[2] ?? '';
  const fail = (error: Error): never => {
    process.stderr.write(`gatehouse: ${error.message.split('\n')[0]}\n`);
    process.exit(1);
  };
  await runWithRequestContext(systemContext('CLI', command), () =>
    CommandFactory.run(CliModule.forRoot(config, { migrate: command !== 'db:migrate' }), {
      logger: ['error'],
      cliName: 'gatehouse',
      errorHandler: fail,
      serviceErrorHandler: fail,
    }),
  );
}

void main();
