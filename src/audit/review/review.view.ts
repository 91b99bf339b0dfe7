import type { Finding, FindingSeverity, ReviewWindow } from './review.types';

export type MeasureKind = 'block_ip' | 'lock_account' | 'revoke_sessions';

/** One measure the run took (or would have, or found already in force). */
export interface MeasureRecord {
  kind: MeasureKind;
  target: string;
  findingId: string;
  result: 'applied' | 'already_in_force' | 'failed';
  blockId?: string;
  expiresAt?: string;
  durationSeconds?: number;
  sessionsRevoked?: number;
  detail?: string;
}

export interface FindingView extends Finding {
  id: string;
  /** The same finding (rule, subject, first seen) was acted on by that earlier run's finding. */
  repeatOf?: string;
}

export interface SealView {
  id: number;
  firstEventId: number;
  lastEventId: number;
  eventCount: number;
  hash: string;
}

export interface RunCounts {
  byType: Record<string, number>;
  findingsByRule: Record<string, number>;
  findingsBySeverity: Partial<Record<FindingSeverity, number>>;
}

/** A run as the API returns it (`GET /audit/reviews/:id`) and the report shows it. */
export interface ReviewRunView {
  id: string;
  status: 'running' | 'completed' | 'failed';
  trigger: string;
  dryRun: boolean;
  window: ReviewWindow;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number;
  eventsReviewed: number;
  counts: RunCounts;
  findings: FindingView[];
  measures: MeasureRecord[];
  seal: SealView | null;
  errors: string[];
  reportPath: string | null;
}

/** A run in a list: the summary without its findings. */
export type ReviewRunSummary = Omit<ReviewRunView, 'findings' | 'measures'> & {
  findingCount: number;
  measureCount: number;
};
