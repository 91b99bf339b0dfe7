import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
// The lean offline path (cli.ts) loads single files, not feature indexes: issue 16.
// eslint-disable-next-line no-restricted-imports
import { loadReviewOptions } from '../../config/app-config';
import { BUILT_IN_DETECTORS } from './detectors';
import { reviewAuditFiles } from './offline-review';
import {
  findingsLimit,
  instant,
  OfflineReviewer,
  ReviewCommandOptions,
  runOfflineReview,
  verifyFiles,
} from './offline-review.command';
import { resolveReviewOptions } from './review.options';

/**
 * `gatehouse audit:review --file …` when the invocation is plain: the options the command
 * declares, each valid. Anything else (help, an unknown flag, a bad value) is undefined, and
 * the CLI then parses it with nest-commander as every other command, which gives the usage
 * error: one parser decides what is wrong, this one only recognises what is right.
 */
export function plainOfflineReview(argv: string[]): ReviewCommandOptions | undefined {
  if (argv[0] !== 'audit:review') return undefined;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(1),
      strict: true,
      allowPositionals: false,
      options: {
        file: { type: 'string', multiple: true },
        from: { type: 'string' },
        to: { type: 'string' },
        'dry-run': { type: 'boolean' },
        limit: { type: 'string' },
        report: { type: 'string' },
        json: { type: 'boolean' },
      },
    }).values;
  } catch {
    return undefined;
  }
  if (!parsed.file || parsed.file.length === 0) return undefined;
  try {
    return {
      file: parsed.file,
      from: parsed.from === undefined ? undefined : instant('--from', parsed.from),
      to: parsed.to === undefined ? undefined : instant('--to', parsed.to),
      dryRun: parsed['dry-run'],
      limit: parsed.limit === undefined ? undefined : findingsLimit(parsed.limit),
      report: parsed.report,
      json: parsed.json,
    };
  } catch {
    return undefined;
  }
}

/**
 * The offline review with no application at all: no Nest, no database, no file written but
 * the report asked for, and no secret read but the seal key, which only verifies the lines'
 * MAC chain when it is set (it is never generated here). The built-in detectors run; a
 * host's own detectors run in the host's `OfflineReviewService`.
 */
export async function runPlainOfflineReview(options: ReviewCommandOptions): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const settings = resolveReviewOptions(loadReviewOptions(process.env));
  const detectors = BUILT_IN_DETECTORS.map((Detector) => new Detector());
  const reviewer: OfflineReviewer = {
    timeZone: settings.timeZone,
    reviewFiles: (paths, window, onProgress) =>
      reviewAuditFiles(paths, detectors, settings.thresholds, window, onProgress),
  };
  const sealKey = process.env.AUDIT_SEAL_KEY;
  await runOfflineReview(
    reviewer,
    options,
    sealKey ? (paths) => verifyFiles(paths, sealKey) : undefined,
  );
}
