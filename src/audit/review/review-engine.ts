import type { DetectorContext, Finding, ReviewDetectorRule, ReviewEvent } from './review.types';
import { isCanonicalTs, SEVERITY_ORDER } from './review.types';
import { errorMessage } from '../../common';

export interface ReviewOutcome {
  eventsReviewed: number;
  /** Events reviewed per type. */
  counts: Record<string, number>;
  findings: Finding[];
  firstEventId?: number;
  lastEventId?: number;
  /** A detector that threw is reported here; the others still give their findings. */
  errors: string[];
}

export interface ReviewProgress {
  eventsReviewed: number;
  lastEventId?: number;
}

/**
 * One streaming pass: every event of the window goes once, in id order, to every detector's
 * accumulator. Pages keep the loop synchronous inside a page (no await per event), and
 * nothing here keeps an event after the detectors have seen it. The same function serves the
 * database review (pages of rows) and the offline review (batches of file lines).
 */
export async function reviewEvents(
  pages: AsyncIterable<ReviewEvent[]>,
  detectors: readonly ReviewDetectorRule[],
  context: DetectorContext,
  onPage?: (progress: ReviewProgress) => void | Promise<void>,
): Promise<ReviewOutcome> {
  const fromMs = Date.parse(context.window.from);
  const toMs = Date.parse(context.window.to);
  // The bounds as canonical ISO text, so a canonical `ts` is compared without parsing it.
  const textBounds = Number.isFinite(fromMs) && Number.isFinite(toMs);
  const fromIso = textBounds ? new Date(fromMs).toISOString() : '';
  const toIso = textBounds ? new Date(toMs).toISOString() : '';
  const errors: string[] = [];
  const passes = detectors.map((detector) => ({
    detector,
    pass: detector.start(context),
    failed: false,
  }));
  // A Map, not an object: types are not internalised strings, and an object's keys must be.
  const counts = new Map<string, number>();
  let eventsReviewed = 0;
  let firstEventId: number | undefined;
  let lastEventId: number | undefined;

  for await (const page of pages) {
    for (const event of page) {
      const ts = event.ts;
      const inWindow =
        textBounds && isCanonicalTs(ts)
          ? ts >= fromIso && ts < toIso
          : event.time >= fromMs && event.time < toMs;
      if (!inWindow) continue;
      eventsReviewed += 1;
      counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
      firstEventId ??= event.id;
      lastEventId = event.id;
      for (const entry of passes) {
        if (entry.failed) continue;
        try {
          entry.pass.observe(event);
        } catch (error) {
          entry.failed = true;
          errors.push(`${entry.detector.rule}: ${errorMessage(error)}`);
        }
      }
    }
    await onPage?.({ eventsReviewed, lastEventId });
  }

  const findings: Finding[] = [];
  for (const entry of passes) {
    if (entry.failed) continue;
    try {
      findings.push(...(await entry.pass.findings()));
    } catch (error) {
      errors.push(`${entry.detector.rule}: ${errorMessage(error)}`);
    }
  }
  return {
    eventsReviewed,
    counts: Object.fromEntries(counts),
    findings: sortFindings(findings),
    firstEventId,
    lastEventId,
    errors,
  };
}

/** Most severe first, then by rule and subject, so reports and comparisons are stable. */
export function sortFindings<T extends Finding>(findings: T[]): T[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      a.rule.localeCompare(b.rule) ||
      a.subject.localeCompare(b.subject),
  );
}

/**
 * A review event from a parsed audit event (a JSON line, or an `AuditEvent`). Returns
 * undefined for anything that is not an event.
 */
export function reviewEventFrom(value: unknown): ReviewEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const id = Number(record.id);
  const ts = record.ts;
  if (!Number.isFinite(id) || typeof ts !== 'string' || typeof record.type !== 'string')
    return undefined;
  const time = Date.parse(ts);
  if (Number.isNaN(time)) return undefined;
  const text = (field: unknown): string => (typeof field === 'string' ? field : '');
  return {
    id,
    ts,
    time,
    type: record.type,
    outcome: text(record.outcome),
    username: typeof record.username === 'string' ? record.username : undefined,
    reason: typeof record.reason === 'string' ? record.reason : undefined,
    ip: text(record.ip),
    userAgent: text(record.userAgent),
    method: text(record.method),
    path: text(record.path),
  };
}
