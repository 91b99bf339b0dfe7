import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
// The lean offline path (cli.ts) loads single files, not feature indexes: issue 16.
// eslint-disable-next-line no-restricted-imports
import { interruptible } from '../../cli/interrupt';
// eslint-disable-next-line no-restricted-imports
import { formatTable, plural, printJson, printLines } from '../../cli/output';
// eslint-disable-next-line no-restricted-imports
import { startProgress } from '../../cli/progress';
import { fileChainKey, FileVerification, verifyAuditFiles } from '../audit-file-chain';
import type { AuditService } from '../audit.service';
import { expandAuditPaths } from './audit-file-reader';
import type { OfflineReviewProgress, OfflineReviewResult } from './offline-review';
import { renderReport, writeReportAtomically } from './review-report';
import { SEVERITY_ORDER, toUtcIso, type Finding, type ReviewWindow } from './review.types';
import type { ReviewRunView } from './review.view';

/**
 * The offline review's side of `audit:review`: option checks, the run and its output. Kept
 * free of Nest and of the database, so that `gatehouse audit:review --file` loads only this,
 * the engine and the detectors (see offline-review.cli.ts); AuditReviewCommand uses the same.
 */

/** Runs the offline review: `OfflineReviewService`, or the CLI's plain equivalent. */
export interface OfflineReviewer {
  /** The zone of the report (REVIEW_TIMEZONE). */
  readonly timeZone: string;
  reviewFiles(
    paths: string[],
    window: Partial<ReviewWindow>,
    onProgress?: (progress: OfflineReviewProgress) => void,
  ): Promise<OfflineReviewResult>;
}

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

export function fileVerificationLines(result: FileVerification): string[] {
  const count = `${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${result.lines} line${result.lines === 1 ? '' : 's'}`;
  if (result.problem) {
    const { file, line, kind, message } = result.problem;
    return [`BROKEN: ${file}:${line} ${kind}: ${message} (${count})`];
  }
  return [
    `OK: ${count} verified${result.startsMidChain ? ' (the chain starts in an earlier, absent file)' : ''}; tail ${result.tail}`,
  ];
}

export interface ReviewCommandOptions {
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

export function instant(flag: string, value: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    throw new Error(`${flag} must be an ISO-8601 date or time, such as 2026-01-31T23:00:00Z`);
  }
  return toUtcIso(value.replace(' ', 'T'));
}

/** The first `limit` findings (most severe first), as a table, and how many were left out. */
export function findingLines(findings: Finding[], limit: number): string[] {
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

export function ruleLines(findings: Finding[]): string[] {
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
  offline: OfflineReviewer,
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
          // Thrown between two pages, the abort ends the pass; nothing is written after it.
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
      badLines: result.badLines,
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
    ...badLineLines(result),
    ...ruleLines(result.findings),
    ...findingLines(result.findings, options.limit ?? DEFAULT_FINDINGS_SHOWN),
    ...(reportPath ? [`Report: ${reportPath}`] : []),
    ...result.errors.map((error) => `Error: ${error}`),
  ]);
}

export function severitySummary(findings: Finding[]): string {
  const parts = SEVERITY_ORDER.map(
    (severity) => [severity, findings.filter((f) => f.severity === severity).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** `--limit`: findings printed. */
export function findingsLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1_000_000) {
    throw new Error('--limit must be a whole number from 0 to 1000000');
  }
  return Number(value);
}

/** Bad lines shown in the text summary; `--json` names up to `NAMED_BAD_LINES`. */
const BAD_LINES_SHOWN = 10;

/** The lines that gave no event: counted by kind, the first few named by file and line. */
function badLineLines({ badLines }: OfflineReviewResult): string[] {
  if (badLines.count === 0) return [];
  const kinds = Object.entries(badLines.byKind)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  const shown = badLines.named.slice(0, BAD_LINES_SHOWN);
  return [
    `Bad lines: ${badLines.count} (${kinds}), reviewed past:`,
    ...shown.map(({ file, line, kind }) => `  ${file}:${line} ${kind}`),
    ...(badLines.count > shown.length
      ? [`  … and ${badLines.count - shown.length} more (--json names the first 1000)`]
      : []),
  ];
}
