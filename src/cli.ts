#!/usr/bin/env node
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { CommandFactory, CommandRunner } from 'nest-commander';
import { OfflineReviewModule } from './audit/review/offline-review.module';
import { OfflineReviewService } from './audit/review/offline-review.service';
import { AuditReviewCommand, runOfflineReview, verifyFiles } from './audit/review/review.commands';
import { CLI_COMMANDS, CliModule } from './cli.module';
import { parseCommandLine } from './cli/command-line';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, UsageError } from './cli/exit-codes';
import { Interrupted } from './cli/interrupt';
import { runWithRequestContext, systemContext } from './common';
import { loadReviewOptions } from './config/app-config';
import { loadConfigOrExit } from './config/load-config-or-exit';

/**
 * `gatehouse <command>` (also `npm run cli -- <command>`). Exit codes: docs/cli.md.
 *
 * Two steps, so that `--help`, `--version` and usage errors need no configuration, no secret
 * and create no file: argv is parsed against the commands' metadata alone; only a command
 * that actually runs loads the config and opens the database. Commands run in a CLI request
 * context, so their audit events say so.
 */
async function main(): Promise<void> {
  const parsed = await parseCommandLine(CLI_COMMANDS);
  if (parsed.kind === 'exit') {
    process.exitCode = parsed.code;
    return;
  }
  const { command, name, params, options } = parsed.invocation;
  if (command === AuditReviewCommand && Array.isArray(options.file)) {
    await reviewFilesOffline(options);
    return;
  }
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

/** `audit:review --file`: the review engine alone; no config secrets, no database, no file. */
async function reviewFilesOffline(options: Record<string, unknown>): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await NestFactory.createApplicationContext(
    OfflineReviewModule.forRoot(loadReviewOptions(process.env)),
    { logger: ['error'] },
  );
  try {
    // The seal key only verifies the lines' MAC chain, when given; it is never generated here.
    const sealKey = process.env.AUDIT_SEAL_KEY;
    await runOfflineReview(
      app.get(OfflineReviewService),
      options,
      sealKey ? (paths) => verifyFiles(paths, sealKey) : undefined,
    );
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`gatehouse: ${message.split('\n')[0]}\n`);
  process.exitCode =
    error instanceof UsageError
      ? EXIT_USAGE
      : error instanceof Interrupted
        ? EXIT_INTERRUPTED
        : EXIT_FAILURE;
});
