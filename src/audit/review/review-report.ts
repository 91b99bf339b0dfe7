import { link, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FindingSeverity } from './review.types';
import { SEVERITY_ORDER } from './review.types';
import type { ReviewRunView } from './review.view';

/** `YYYY-MM-DDTHH-mm` of an instant in a zone: the report file name, sortable and colon-free. */
export function localStamp(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}-${parts.minute}`;
}

/**
 * `review-<run id>.md`: one file per run, whatever its window, trigger or dry run. Names by
 * window end had minute resolution, so a second run in the same minute replaced the first
 * run's report while its `reportPath` still pointed there (issue 10, item 14).
 */
export function reportFileName(runId: string): string {
  return `review-${runId}.md`;
}

function cell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(', ') : String(value);
  // A report is for people, but a subject is attacker-chosen text: keep it inside its cell.
  return text.replace(/[|\\`*<>[\]]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

function evidenceText(evidence: Record<string, unknown>): string {
  return Object.entries(evidence)
    .filter(([, value]) => !Array.isArray(value) || value.length > 0)
    .map(
      ([key, value]) =>
        `${key}: ${Array.isArray(value) ? value.slice(0, 5).join(', ') : String(value)}`,
    )
    .join('; ');
}

/** The Markdown report of one run: summary, findings by severity, measures. */
export function renderReport(run: ReviewRunView, timeZone: string): string {
  const lines: string[] = [];
  const bySeverity = run.counts.findingsBySeverity;
  const summary = SEVERITY_ORDER.filter((severity) => bySeverity[severity])
    .map((severity) => `${bySeverity[severity]} ${severity}`)
    .join(', ');
  lines.push(
    `# Login review ${localStamp(run.window.to, timeZone)
      .replace('T', ' ')
      .replace(/-(\d\d)$/, ':$1')} (${timeZone})`,
    '',
  );
  lines.push('| | |', '|---|---|');
  lines.push(`| Run | \`${run.id}\` |`);
  lines.push(`| Window | ${run.window.from} → ${run.window.to} |`);
  lines.push(
    `| Trigger | ${cell(run.trigger)}${run.dryRun ? ' (dry run: no measures taken)' : ''} |`,
  );
  lines.push(`| Status | ${run.status} |`);
  lines.push(`| Events reviewed | ${run.eventsReviewed} |`);
  lines.push(`| Findings | ${run.findings.length}${summary ? ` (${summary})` : ''} |`);
  lines.push(
    `| Measures | ${run.measures.filter((m) => m.result === 'applied').length} applied, ${run.measures.length} in all |`,
  );
  lines.push(`| Duration | ${(run.durationMs / 1000).toFixed(2)} s |`);
  if (run.seal)
    lines.push(
      `| Seal | #${run.seal.id}: events ${run.seal.firstEventId}–${run.seal.lastEventId} (${run.seal.eventCount}) |`,
    );
  if (run.errors.length > 0) lines.push(`| Errors | ${cell(run.errors.join('; '))} |`);
  lines.push('');

  const types = Object.entries(run.counts.byType).sort(([a], [b]) => a.localeCompare(b));
  if (types.length > 0) {
    lines.push('## Events by type', '', '| type | count |', '|---|---:|');
    for (const [type, count] of types) lines.push(`| ${cell(type)} | ${count} |`);
    lines.push('');
  }

  lines.push('## Findings', '');
  if (run.findings.length === 0) lines.push('No findings.', '');
  for (const severity of SEVERITY_ORDER as FindingSeverity[]) {
    const findings = run.findings.filter((finding) => finding.severity === severity);
    if (findings.length === 0) continue;
    lines.push(`### ${severity[0].toUpperCase()}${severity.slice(1)} (${findings.length})`, '');
    lines.push(
      '| rule | subject | evidence | first seen | last seen | sample events |',
      '|---|---|---|---|---|---|',
    );
    for (const finding of findings) {
      const repeat = finding.repeatOf ? ' (reported before)' : '';
      lines.push(
        `| ${cell(finding.rule)} | ${cell(`${finding.subjectKind} ${finding.subject}`)}${repeat} | ${cell(evidenceText(finding.evidence))} | ${finding.firstSeen} | ${finding.lastSeen} | ${finding.sampleEventIds.slice(0, 5).join(', ')} |`,
      );
    }
    lines.push('');
  }

  lines.push('## Measures', '');
  if (run.measures.length === 0) lines.push(run.dryRun ? 'None: dry run.' : 'None.', '');
  else {
    lines.push('| measure | target | result | until | finding |', '|---|---|---|---|---|');
    for (const measure of run.measures) {
      lines.push(
        `| ${measure.kind} | ${cell(measure.target)} | ${measure.result}${measure.sessionsRevoked !== undefined ? ` (${measure.sessionsRevoked} session${measure.sessionsRevoked === 1 ? '' : 's'} ended)` : ''}${measure.detail ? ` (${cell(measure.detail)})` : ''} | ${measure.expiresAt ?? ''} | ${measure.findingId} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a report so that nobody ever sees half of it: into a temporary file beside it, then
 * renamed (`replace`) or hard-linked (never replaces an existing report) into place. A run
 * killed or interrupted mid-write leaves at most a `.tmp` file, never a truncated report.
 */
export async function writeReportAtomically(
  path: string,
  content: string,
  options: { replace: boolean },
): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temporary, content, { mode: 0o640, flag: 'wx' });
  try {
    if (options.replace) await rename(temporary, path);
    else await link(temporary, path);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
