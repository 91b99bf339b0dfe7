#!/usr/bin/env node
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import {
  OfflineReviewModule,
  OfflineReviewService,
  runOfflineReview,
  verifyFiles,
} from './audit/review';
import { CliModule } from './cli.module';
import { runCommandLine } from './cli-runner';
import { loadConfigOrExit, loadReviewOptions } from './config';

/**
 * `gatehouse <command>` (also `npm run cli -- <command>`): the service's command line. Exit
 * codes: docs/cli.md. A host runs the same commands over its own module with
 * `runGatehouseCli(AppModule)` (docs/extending.md).
 *
 * `--help`, `--version` and usage errors need no configuration, no secret and create no file:
 * argv is parsed against the commands' metadata alone; only a command that actually runs loads
 * the config and opens the database.
 */
void runCommandLine({
  module: ({ name }) => CliModule.forRoot(loadConfigOrExit(), { migrate: name !== 'db:migrate' }),
  offlineFileReview: reviewFilesOffline,
});

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
