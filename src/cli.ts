#!/usr/bin/env node
import 'reflect-metadata';
// The lean path loads these files alone, not the feature indexes (issue 16: the offline review
// reads its first line within a few hundred milliseconds of the start).
// eslint-disable-next-line no-restricted-imports
import { plainOfflineReview, runPlainOfflineReview } from './audit/review/offline-review.cli';
// eslint-disable-next-line no-restricted-imports
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, UsageError } from './cli/exit-codes';
// eslint-disable-next-line no-restricted-imports
import { Interrupted } from './cli/interrupt';

/**
 * `gatehouse <command>` (also `npm run cli -- <command>`): the service's command line. Exit
 * codes: docs/cli.md. A host runs the same commands over its own module with
 * `runGatehouseCli(AppModule)` (docs/extending.md).
 *
 * `audit:review --file …` (when its options are plain and valid) runs the offline review
 * before anything else is loaded: no Nest, no database, no secret; the first line is read
 * within a few hundred milliseconds of the start. Every other invocation, and any odd one of
 * that command, goes through nest-commander (`runNestCli`), loaded only then.
 */
async function main(): Promise<void> {
  const offline = plainOfflineReview(process.argv.slice(2));
  if (offline) {
    await runPlainOfflineReview(offline);
    return;
  }
  const { runNestCli } = await import('./cli.nest');
  await runNestCli();
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
