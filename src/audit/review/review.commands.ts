import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { EXIT_INTEGRITY_BROKEN } from '../../cli/exit-codes';
import { Interrupted, interruptible } from '../../cli/interrupt';
import { JSON_OPTION, formatTable, plural, printJson, printLines } from '../../cli/output';
import { startProgress } from '../../cli/progress';
import { fileChainKey, FileVerification, verifyAuditFiles } from '../audit-file-chain';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { AuditService } from '../audit.service';
import { renderReport, writeReportAtomically } from './review-report';
import { toUtcIso } from './review.dto';
import {
  expandAuditPaths,
  OfflineReviewResult,
  OfflineReviewService,
} from './offline-review.service';
import { ReviewService } from './review.service';
import { SEVERITY_ORDER, type Finding } from './review.types';
import type { ReviewRunView } from './review.view';

/**
 * Verifies JSON-lines files (folders expand to their audit files); the tail against the
 * database when there is one (`audit`), not at all without (the offline review).
 */
export async function verifyFiles(
  paths: string[],
  sealKey: string,
  audit?: AuditService,
): Promise<FileVerification> {
  const files = await expandAuditPaths(paths);
  return verifyAuditFiles(files, fileChainKey(sealKey), {
    eventsAfter: audit
      ? (afterId, limit, filter) => audit.eventsAfter(afterId, limit, filter)
      : undefined,
  });
}

/** How the offline review checks its files first: with the seal key, when it has one. */
export type FileVerifier = (paths: string[]) => Promise<FileVerification>;

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
  json?: boolean;
  limit?: number;
  report?: string;
}

/** Findings printed by default; `--limit` changes it, the JSON and the report hold them all. */
export const DEFAULT_FINDINGS_SHOWN = 20;

function instant(flag: string, value: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    throw new Error(`${flag} must be an ISO-8601 date or time, such as 2026-01-31T23:00:00Z`);
  }
  return toUtcIso(value.replace(' ', 'T'));
}

/** The first `limit` findings (most severe first), as a table, and how many were left out. */
function findingLines(findings: Finding[], limit: number): string[] {
  if (findings.length === 0) return ['No findings.'];
  const rank = (finding: Finding): number => SEVERITY_ORDER.indexOf(finding.severity);
  const shown = [...findings].sort((x, y) => rank(x) - rank(y)).slice(0, limit);
  const lines = formatTable(
    ['SEVERITY', 'RULE', 'SUBJECT', 'EVIDENCE'],
    shown.map((finding) => [
      finding.severity.toUpperCase(),
      finding.rule,
      `${finding.subjectKind} ${finding.subject}`,
      Object.entries(finding.evidence)
        .filter(([, value]) => !Array.isArray(value))
        .map(([key, value]) => `${key}=${String(value)}`)
        .join(' '),
    ]),
    '',
  );
  if (findings.length > shown.length) {
    lines.push(`… and ${findings.length - shown.length} more (--limit, --json or --report)`);
  }
  return lines;
}

function countsByRule(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings) counts[finding.rule] = (counts[finding.rule] ?? 0) + 1;
  return counts;
}

function ruleLines(findings: Finding[]): string[] {
  const counts = Object.entries(countsByRule(findings)).sort(([, x], [, y]) => y - x);
  if (counts.length === 0) return [];
  return ['By rule:', ...counts.map(([rule, count]) => `  ${rule.padEnd(24)} ${count}`)];
}

/**
 * The offline review as a run view, so that `--report` writes the very Markdown report the
 * server writes (renderReport), marked as a dry run: the offline review never acts.
 */
function offlineRunView(
  result: OfflineReviewResult,
  startedAt: Date,
  reportPath: string | null,
): ReviewRunView {
  const finishedAt = new Date();
  const findingsBySeverity: ReviewRunView['counts']['findingsBySeverity'] = {};
  for (const finding of result.findings) {
    findingsBySeverity[finding.severity] = (findingsBySeverity[finding.severity] ?? 0) + 1;
  }
  return {
    id: `offline-${startedAt.toISOString().replace(/[:.]/g, '-')}`,
    status: 'completed',
    trigger: 'cli',
    dryRun: true,
    window: result.window,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    eventsReviewed: result.eventsReviewed,
    counts: {
      byType: result.counts,
      findingsByRule: countsByRule(result.findings),
      findingsBySeverity,
    },
    findings: result.findings.map((finding, index) => ({ ...finding, id: `f${index + 1}` })),
    measures: [],
    seal: null,
    errors: result.errors,
    reportPath,
  };
}

/**
 * `audit:review --file`: the detectors over audit files, no database, no secret. Shared by
 * the command and by `cli.ts`, which runs it in a context holding only the review engine.
 */
export async function runOfflineReview(
  offline: OfflineReviewService,
  options: ReviewCommandOptions,
  verify?: FileVerifier,
): Promise<void> {
  // Verified first: a review of forged or cut files is still printed, but says so.
  const verification = verify ? await verify(options.file ?? []) : undefined;
  const progress = startProgress('Reviewing files', 'bytes');
  const startedAt = new Date();
  const result = await interruptible(
    (signal) =>
      offline.reviewFiles(
        options.file ?? [],
        { from: options.from, to: options.to },
        ({ bytesRead, totalBytes }) => {
          // Thrown between two batches, the abort ends the pass; nothing is written after it.
          signal.throwIfAborted();
          progress.update(bytesRead, { total: totalBytes });
        },
      ),
    progress.stop,
  ).finally(progress.stop);
  const reportPath = options.report ? resolve(options.report) : null;
  const view = offlineRunView(result, startedAt, reportPath);
  if (reportPath) {
    await mkdir(dirname(reportPath), { recursive: true });
    await writeReportAtomically(reportPath, renderReport(view, offline.timeZone), {
      replace: true,
    });
  }
  if (options.json) {
    printJson({
      ...view,
      files: result.files,
      skippedLines: result.skippedLines,
      verification: verification ?? null,
    });
    return;
  }
  printLines([
    ...(verification && !verification.ok
      ? [
          'WARNING: the files fail verification; the review below may rest on altered lines.',
          ...fileVerificationLines(verification),
        ]
      : []),
    `Offline review of ${plural(result.files.length, 'file')}: ${plural(result.eventsReviewed, 'event')}${result.skippedLines > 0 ? ` (${plural(result.skippedLines, 'line')} skipped)` : ''}, ${plural(result.findings.length, 'finding')}${severitySummary(result.findings)}`,
    ...ruleLines(result.findings),
    ...findingLines(result.findings, options.limit ?? DEFAULT_FINDINGS_SHOWN),
    ...(reportPath ? [`Report: ${reportPath}`] : []),
    ...result.errors.map((error) => `Error: ${error}`),
  ]);
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
    if (!/^\d+$/.test(value) || Number(value) > 1_000_000) {
      throw new Error('--limit must be a whole number from 0 to 1000000');
    }
    return Number(value);
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
