import { BadLine, BadLines, expandAuditPaths, readAuditFiles } from './audit-file-reader';
import type { BadLineKind } from './audit-line-parser';
import { reviewEvents, ReviewOutcome, ReviewProgress } from './review-engine';
import type { ReviewThresholds } from './review.options';
import { NO_LOGIN_HISTORY, ReviewDetectorRule, ReviewWindow } from './review.types';

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
  onProgress?: (progress: ReviewProgress) => void,
): Promise<OfflineReviewResult> {
  const files = await expandAuditPaths(paths);
  const bounds: ReviewWindow = {
    from: window.from ?? new Date(0).toISOString(),
    to: window.to ?? '9999-12-31T23:59:59.999Z',
  };
  const bad = new BadLines();
  const outcome = await reviewEvents(
    readAuditFiles(files, bad),
    detectors,
    { window: bounds, thresholds, history: NO_LOGIN_HISTORY },
    onProgress,
  );
  return {
    ...outcome,
    window: bounds,
    files,
    skippedLines: bad.count,
    badLines: { count: bad.count, byKind: bad.byKind, named: bad.named },
  };
}
