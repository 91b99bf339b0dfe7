import { Command, CommandRunner, Option } from 'nest-commander';
import {
  EXIT_INTEGRITY_BROKEN,
  Interrupted,
  interruptible,
  JSON_OPTION,
  plural,
  printJson,
  printLines,
  startProgress,
} from '../../cli/index';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { AuditService } from '../audit.service';
import {
  DEFAULT_FINDINGS_SHOWN,
  fileVerificationLines,
  findingLines,
  findingsLimit,
  instant,
  ReviewCommandOptions,
  ruleLines,
  runOfflineReview,
  severitySummary,
  verifyFiles,
} from './offline-review.command';
import { OfflineReviewService } from './offline-review.service';
import { ReviewService } from './review.service';

export { DEFAULT_FINDINGS_SHOWN, runOfflineReview, verifyFiles } from './offline-review.command';

/**
 * `gatehouse audit:review [--from] [--to] [--dry-run] [--file <path>…]`: the same review as the
 * 23:00 job, now. With `--file`, it reviews rotated audit files instead of the database and
 * only reports.
 */
@Command({
  name: 'audit:review',
  description:
    'Review the audit trail now (or --file audit-*.jsonl[.gz] files offline) and print the summary',
})
export class AuditReviewCommand extends CommandRunner {
  constructor(
    private readonly reviews: ReviewService,
    private readonly offline: OfflineReviewService,
    private readonly audit: AuditService,
    @InjectAuditOptions() private readonly auditOptions: AuditModuleOptions,
  ) {
    super();
  }

  async run(_params: string[], options: ReviewCommandOptions = {}): Promise<void> {
    if (options.file && options.file.length > 0) {
      await runOfflineReview(this.offline, options, (paths) =>
        verifyFiles(paths, this.auditOptions.sealKey, this.audit),
      );
      return;
    }
    if (options.report)
      throw new Error('--report goes with --file (the server names its own reports)');
    const progress = startProgress('Reviewing', 'events');
    const run = await interruptible(
      (signal) =>
        this.reviews.run({
          from: options.from,
          to: options.to,
          dryRun: options.dryRun,
          trigger: 'cli',
          signal,
          onProgress: ({ eventsReviewed, totalEvents }) =>
            progress.update(eventsReviewed, { total: totalEvents }),
        }),
      progress.stop,
    )
      .catch((error: unknown) => {
        if (error instanceof Interrupted) {
          process.stderr.write(
            'gatehouse: review stopped: its run is recorded as failed, no report was written, and a new review can start now\n',
          );
        }
        throw error;
      })
      .finally(progress.stop);
    if (options.json) {
      printJson(run);
      return;
    }
    const applied = run.measures.filter((measure) => measure.result === 'applied').length;
    printLines([
      `Review ${run.id}${run.dryRun ? ' (dry run)' : ''}: ${run.status}, ${run.window.from} → ${run.window.to}, ${plural(run.eventsReviewed, 'event')}, ${plural(run.findings.length, 'finding')}${severitySummary(run.findings)} in ${(run.durationMs / 1000).toFixed(2)} s`,
      ...ruleLines(run.findings),
      ...findingLines(run.findings, options.limit ?? DEFAULT_FINDINGS_SHOWN),
      `Measures: ${applied} applied, ${run.measures.length - applied} already in force or failed`,
      run.seal
        ? `Sealed events ${run.seal.firstEventId}–${run.seal.lastEventId} (seal #${run.seal.id})`
        : 'Nothing new to seal',
      `Report: ${run.reportPath ?? 'not written'}`,
      ...run.errors.map((error) => `Error: ${error}`),
    ]);
    if (run.status === 'failed') process.exitCode = 1;
  }

  @Option({
    flags: '--from <time>',
    description: 'window start (ISO-8601); default: where the last run stopped',
  })
  parseFrom(value: string): string {
    return instant('--from', value);
  }

  @Option({ flags: '--to <time>', description: 'window end (ISO-8601, exclusive); default: now' })
  parseTo(value: string): string {
    return instant('--to', value);
  }

  @Option({ flags: '--dry-run', description: 'report only: no blocks, no revocations, no seal' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({
    flags: '--file <path...>',
    description: 'review audit-*.jsonl[.gz] files (or folders) instead of the database',
  })
  parseFile(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }

  @Option({
    flags: '--limit <count>',
    description: `findings printed (default ${DEFAULT_FINDINGS_SHOWN}; --json and --report hold all)`,
  })
  parseLimit(value: string): number {
    return findingsLimit(value);
  }

  @Option({
    flags: '--report <path>',
    description: 'with --file: write the Markdown report (the one the server writes) there',
  })
  parseReport(value: string): string {
    return value;
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

/**
 * `gatehouse audit:verify [--file <path…>]`: recomputes every seal, or with `--file` verifies
 * the MAC chain of JSON-lines files; exit code 3 when something is broken.
 */
@Command({
  name: 'audit:verify',
  description:
    'Recompute every audit seal (or verify --file audit-*.jsonl[.gz] files) and report the first break',
})
export class AuditVerifyCommand extends CommandRunner {
  constructor(
    private readonly reviews: ReviewService,
    private readonly audit: AuditService,
    @InjectAuditOptions() private readonly auditOptions: AuditModuleOptions,
  ) {
    super();
  }

  async run(
    _params: string[] = [],
    options: { file?: string[]; json?: boolean } = {},
  ): Promise<void> {
    if (options.file && options.file.length > 0) {
      const result = await verifyFiles(options.file, this.auditOptions.sealKey, this.audit);
      if (!result.ok) process.exitCode = EXIT_INTEGRITY_BROKEN;
      if (options.json) printJson(result);
      else printLines(fileVerificationLines(result));
      return;
    }
    const report = await this.reviews.verifyIntegrity();
    if (!report.ok) process.exitCode = EXIT_INTEGRITY_BROKEN;
    if (options.json) {
      printJson(report);
      return;
    }
    if (report.ok) {
      process.stdout.write(
        `OK: ${report.seals} seal${report.seals === 1 ? '' : 's'} verified${report.retiredSeals > 0 ? ` (${report.retiredSeals} past retention, chain only)` : ''}; sealed through ${report.sealedThrough ?? 'nothing yet'}\n`,
      );
      return;
    }
    process.stdout.write(
      `BROKEN: seal #${report.firstBrokenSeal?.id} (${report.firstBrokenSeal?.reason})\n`,
    );
  }

  @Option({
    flags: '--file <path...>',
    description:
      'verify the MAC chain of audit-*.jsonl[.gz] files (or folders) instead of the seals',
  })
  parseFile(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

export const REVIEW_COMMANDS = [AuditReviewCommand, AuditVerifyCommand];
