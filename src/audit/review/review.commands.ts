import { Command, CommandRunner, Option } from 'nest-commander';
import { fileChainKey, FileVerification, verifyAuditFiles } from '../audit-file-chain';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { AuditService } from '../audit.service';
import { toUtcIso } from './review.dto';
import { expandAuditPaths, OfflineReviewService } from './offline-review.service';
import { ReviewService } from './review.service';
import { SEVERITY_ORDER, type Finding } from './review.types';

/** Verifies JSON-lines files (folders expand to their audit files), the tail against the database. */
async function verifyFiles(
  paths: string[],
  options: AuditModuleOptions,
  audit: AuditService,
): Promise<FileVerification> {
  const files = await expandAuditPaths(paths);
  return verifyAuditFiles(files, fileChainKey(options.sealKey), {
    eventsAfter: (afterId, limit, filter) => audit.eventsAfter(afterId, limit, filter),
  });
}

function fileVerificationLines(result: FileVerification): string[] {
  const count = `${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${result.lines} line${result.lines === 1 ? '' : 's'}`;
  if (result.problem) {
    const { file, line, kind, message } = result.problem;
    return [`BROKEN: ${file}:${line} ${kind}: ${message} (${count})`];
  }
  return [
    `OK: ${count} verified${result.startsMidChain ? ' (the chain starts in an earlier, absent file)' : ''}; tail ${result.tail}`,
  ];
}

interface ReviewCommandOptions {
  from?: string;
  to?: string;
  dryRun?: boolean;
  file?: string[];
}

function instant(flag: string, value: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    throw new Error(`${flag} must be an ISO-8601 date or time, such as 2026-01-31T23:00:00Z`);
  }
  return toUtcIso(value.replace(' ', 'T'));
}

/** On a terminal, one line that rewrites itself; in a pipe or a log, nothing. */
function progressLine(): { update: (events: number) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  return {
    update: (events) => {
      if (tty) process.stderr.write(`\rReviewing… ${events.toLocaleString('en-US')} events`);
    },
    done: () => {
      if (tty) process.stderr.write('\r\u001b[K');
    },
  };
}

function findingLines(findings: Finding[]): string[] {
  if (findings.length === 0) return ['No findings.'];
  return findings.map((finding) => {
    const evidence = Object.entries(finding.evidence)
      .filter(([, value]) => !Array.isArray(value))
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    return `  ${finding.severity.toUpperCase().padEnd(8)} ${finding.rule.padEnd(24)} ${finding.subjectKind} ${finding.subject}  ${evidence}`;
  });
}

function severitySummary(findings: Finding[]): string {
  const parts = SEVERITY_ORDER.map(
    (severity) => [severity, findings.filter((f) => f.severity === severity).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

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
    const progress = progressLine();
    if (options.file && options.file.length > 0) {
      // Verified first: a review of forged or cut files is still printed, but says so.
      const verification = await verifyFiles(options.file, this.auditOptions, this.audit);
      if (!verification.ok) {
        process.stdout.write(
          `WARNING: the files fail verification; the review below may rest on altered lines.\n${fileVerificationLines(verification).join('\n')}\n`,
        );
      }
      const result = await this.offline
        .reviewFiles(options.file, { from: options.from, to: options.to }, progress.update)
        .finally(progress.done);
      const lines = [
        `Offline review of ${result.files.length} file${result.files.length === 1 ? '' : 's'}`,
        `Events reviewed: ${result.eventsReviewed}${result.skippedLines > 0 ? ` (${result.skippedLines} lines skipped)` : ''}`,
        `Findings: ${result.findings.length}${severitySummary(result.findings)}`,
        ...findingLines(result.findings),
        ...result.errors.map((error) => `Error: ${error}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return;
    }
    const run = await this.reviews
      .run({
        from: options.from,
        to: options.to,
        dryRun: options.dryRun,
        trigger: 'cli',
        onProgress: progress.update,
      })
      .finally(progress.done);
    const applied = run.measures.filter((measure) => measure.result === 'applied').length;
    const lines = [
      `Review ${run.id}${run.dryRun ? ' (dry run)' : ''}: ${run.status}`,
      `Window: ${run.window.from} → ${run.window.to}`,
      `Events reviewed: ${run.eventsReviewed}`,
      `Findings: ${run.findings.length}${severitySummary(run.findings)}`,
      ...findingLines(run.findings),
      `Measures: ${applied} applied, ${run.measures.length - applied} already in force or failed`,
      run.seal
        ? `Sealed events ${run.seal.firstEventId}–${run.seal.lastEventId} (seal #${run.seal.id})`
        : 'Nothing new to seal',
      `Report: ${run.reportPath ?? 'not written'}`,
      `Duration: ${(run.durationMs / 1000).toFixed(2)} s`,
      ...run.errors.map((error) => `Error: ${error}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
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
}

/** Exit code of a verification that found the trail (seals or files) not intact. */
export const EXIT_INTEGRITY_BROKEN = 3;

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

  async run(_params: string[], options: { file?: string[] } = {}): Promise<void> {
    if (options.file && options.file.length > 0) {
      const result = await verifyFiles(options.file, this.auditOptions, this.audit);
      process.stdout.write(`${fileVerificationLines(result).join('\n')}\n`);
      if (!result.ok) process.exitCode = EXIT_INTEGRITY_BROKEN;
      return;
    }
    const report = await this.reviews.verifyIntegrity();
    if (report.ok) {
      process.stdout.write(
        `OK: ${report.seals} seal${report.seals === 1 ? '' : 's'} verified${report.retiredSeals > 0 ? ` (${report.retiredSeals} past retention, chain only)` : ''}; sealed through ${report.sealedThrough ?? 'nothing yet'}\n`,
      );
      return;
    }
    process.stdout.write(
      `BROKEN: seal #${report.firstBrokenSeal?.id} (${report.firstBrokenSeal?.reason})\n`,
    );
    process.exitCode = EXIT_INTEGRITY_BROKEN;
  }

  @Option({
    flags: '--file <path...>',
    description:
      'verify the MAC chain of audit-*.jsonl[.gz] files (or folders) instead of the seals',
  })
  parseFile(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }
}

export const REVIEW_COMMANDS = [AuditReviewCommand, AuditVerifyCommand];
