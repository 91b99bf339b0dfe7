import { stat } from 'node:fs/promises';
import { BadLine, BadLines, expandAuditPaths, readAuditFiles } from './audit-file-reader';
import type { BadLineKind } from './audit-line-parser';
import { reviewEvents, ReviewOutcome } from './review-engine';
import type { ReviewThresholds } from './review.options';
import { NO_LOGIN_HISTORY, ReviewDetectorRule, ReviewWindow } from './review.types';

export interface OfflineReviewProgress {
  eventsReviewed: number;
  /** Bytes of the files read so far, as stored (compressed bytes for `.gz`). */
  bytesRead: number;
  totalBytes: number;
}

export interface OfflineReviewResult extends ReviewOutcome {
  window: ReviewWindow;
  files: string[];
  /** Lines that gave no event (blank lines aside): `badLines.count`. */
  skippedLines: number;
  /** Every bad line counted by kind; the first `NAMED_BAD_LINES` named by file and line. */
  badLines: { count: number; byKind: Partial<Record<BadLineKind, number>>; named: BadLine[] };
}

/**
 * The review without a database, like fail2ban-regex for its filters: the detectors over
 * rotated audit files, through the engine the database review uses. It reports and never
 * acts. The only history it knows is the files themselves, so `new-ip-success` compares
 * with earlier lines only. No Nest here: `gatehouse audit:review --file` calls it without
 * booting an application (see `offline-review.cli.ts`), `OfflineReviewService` inside one.
 */
export async function reviewAuditFiles(
  paths: string[],
  detectors: readonly ReviewDetectorRule[],
  thresholds: Required<ReviewThresholds>,
  window: Partial<ReviewWindow> = {},
  onProgress?: (progress: OfflineReviewProgress) => void,
): Promise<OfflineReviewResult> {
  const files = await expandAuditPaths(paths);
  // `onProgress` (the CLI's bar) gets the files' total size first, then the bytes read after
  // each page: the files are read once, so bytes are the measure of the work left.
  let totalBytes = 0;
  if (onProgress) for (const file of files) totalBytes += (await stat(file)).size;
  let bytesRead = 0;
  onProgress?.({ eventsReviewed: 0, bytesRead, totalBytes });
  const bounds: ReviewWindow = {
    from: window.from ?? new Date(0).toISOString(),
    to: window.to ?? '9999-12-31T23:59:59.999Z',
  };
  const bad = new BadLines();
  const outcome = await reviewEvents(
    readAuditFiles(files, bad, (bytes) => (bytesRead = bytes)),
    detectors,
    { window: bounds, thresholds, history: NO_LOGIN_HISTORY },
    onProgress && (({ eventsReviewed }) => onProgress({ eventsReviewed, bytesRead, totalBytes })),
  );
  return {
    ...outcome,
    window: bounds,
    files,
    skippedLines: bad.count,
    badLines: { count: bad.count, byKind: bad.byKind, named: bad.named },
  };
}
