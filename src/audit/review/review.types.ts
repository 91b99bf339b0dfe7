import type { ReviewThresholds } from './review.options';

/**
 * The few fields of an audit event the detectors read. The database review selects only these
 * columns (no `details`, no JSON parsing); the offline review reads them from JSON lines.
 */
export interface ReviewEvent {
  id: number;
  ts: string;
  /** `ts` in epoch milliseconds, parsed once. */
  time: number;
  type: string;
  outcome: string;
  username?: string;
  reason?: string;
  ip: string;
  /** The request's `User-Agent` as the audit event recorded it (`-` when there was none). */
  userAgent: string;
  method: string;
  path: string;
}

/**
 * A `ReviewEvent` read from the audit table, whose `time` is parsed on first use: most events
 * are only compared by `ts` text (see `isCanonicalTs`), and `Date.parse` per event was a
 * measurable share of a million-event review.
 */
export class StoredReviewEvent implements ReviewEvent {
  private parsedTime = Number.NaN;

  constructor(
    readonly id: number,
    readonly ts: string,
    readonly type: string,
    readonly outcome: string,
    readonly username: string | undefined,
    readonly reason: string | undefined,
    readonly ip: string,
    readonly userAgent: string,
    readonly method: string,
    readonly path: string,
  ) {}

  get time(): number {
    if (Number.isNaN(this.parsedTime)) this.parsedTime = Date.parse(this.ts);
    return this.parsedTime;
  }
}

/**
 * Whether `ts` has the fixed shape `YYYY-MM-DDTHH:mm:ss.sssZ` of `Date.toISOString()` (what
 * the audit trail writes): such strings sort as text exactly as they do in time.
 */
export function isCanonicalTs(ts: string): boolean {
  return (
    ts.length === 24 &&
    ts.charCodeAt(23) === 90 && // Z
    ts.charCodeAt(10) === 84 && // T
    ts.charCodeAt(19) === 46 && // .
    ts.charCodeAt(4) === 45 && // -
    ts.charCodeAt(7) === 45 &&
    ts.charCodeAt(13) === 58 && // :
    ts.charCodeAt(16) === 58
  );
}

export type FindingSeverity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITY_ORDER: readonly FindingSeverity[] = ['critical', 'high', 'medium', 'low'];

export type SubjectKind = 'username' | 'ip' | 'campaign';

/** What a finding asks the review to do about it; each kind is idempotent. */
export type MeasureRequest =
  | { kind: 'block_ip'; ip: string }
  | { kind: 'lock_account'; username: string }
  | { kind: 'revoke_sessions'; username: string };

export interface Finding {
  rule: string;
  severity: FindingSeverity;
  subjectKind: SubjectKind;
  subject: string;
  /** Evidence counts (failures, distinct IPs, …); numbers only, or short lists of samples. */
  evidence: Record<string, number | string[]>;
  firstSeen: string;
  lastSeen: string;
  /** Up to 10 event ids that show the pattern. */
  sampleEventIds: number[];
  measures?: MeasureRequest[];
}

/**
 * What a detector may ask about the time before the window. The database review answers from
 * audit events within the retention period; the offline review knows only its files.
 */
export interface LoginHistory {
  /**
   * For each username, the IPs it logged in from successfully before `before` (within
   * retention). Users absent from the map have no history.
   */
  successfulIpsBefore(usernames: string[], before: string): Promise<Map<string, Set<string>>>;
}

export const NO_LOGIN_HISTORY: LoginHistory = {
  successfulIpsBefore: () => Promise.resolve(new Map()),
};

export interface ReviewWindow {
  /** Inclusive ISO lower bound. */
  from: string;
  /** Exclusive ISO upper bound. */
  to: string;
}

export interface DetectorContext {
  window: ReviewWindow;
  thresholds: Required<ReviewThresholds>;
  history: LoginHistory;
}

/** The per-run state of one detector: fed every event once, in id order, then asked. */
export interface DetectorPass {
  observe(event: ReviewEvent): void;
  findings(): Finding[] | Promise<Finding[]>;
}

/**
 * A rule of the review. Implementations are providers marked `@ReviewDetector()`; the same
 * instance serves the database review and the offline file review. `start` must return fresh
 * state, so two reviews never share accumulators.
 */
export interface ReviewDetectorRule {
  readonly rule: string;
  readonly description: string;
  start(context: DetectorContext): DetectorPass;
}

/** An ISO text as the exact UTC form the tables use; a time without an offset is UTC. */
export function toUtcIso(value: string): string {
  const hasTime = value.includes('T');
  const hasOffset = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value);
  return new Date(hasTime && !hasOffset ? `${value}Z` : value).toISOString();
}
