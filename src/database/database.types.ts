import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Times are epoch milliseconds (bigint on PostgreSQL, parsed to
 * number by the pool), except `audit_events.ts`, which keeps the event's own ISO-8601 text so
 * the row and the JSON line are the same event. Booleans are 0/1 integers on both dialects.
 */
export interface UsersTable {
  id: string;
  username: string;
  username_normalized: string;
  password_hash: string;
  roles: string;
  disabled: number;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  refresh_expires_at: number;
  refresh_hash: string;
  refresh_generation: number;
  refresh_salt: string;
  previous_refresh_hash: string | null;
  rotated_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  ip: string;
  user_agent: string;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: number;
  locked_until: number | null;
  lock_count: number;
  updated_at: number;
}

export interface LoginKnownIpsTable {
  username_normalized: string;
  ip: string;
  last_success_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  ts: string;
  type: string;
  level: string;
  outcome: string;
  username: string | null;
  user_id: string | null;
  reason: string | null;
  ip: string;
  user_agent: string;
  request_id: string;
  method: string;
  path: string;
  session_ref: string | null;
  details: string | null;
}

export interface BlocksTable {
  id: string;
  kind: 'ip' | 'account';
  subject: string;
  reason: string;
  created_at: number;
  expires_at: number;
  finding_id: string | null;
  lifted_at: number | null;
}

export interface ReviewRunsTable {
  id: string;
  window_from: string;
  window_to: string;
  status: 'running' | 'completed' | 'failed';
  trigger: string;
  dry_run: number;
  /** 1 for scheduled-style runs, whose window end is where the next scheduled window starts (0004). */
  advances_window: Generated<number>;
  started_at: number;
  finished_at: number | null;
  lease_expires_at: number;
  events_reviewed: number;
  counts: string | null;
  measures: string | null;
  error: string | null;
  report_path: string | null;
}

export interface ReviewFindingsTable {
  id: string;
  run_id: string;
  rule: string;
  severity: string;
  subject_kind: string;
  subject: string;
  evidence: string;
  first_seen: string;
  last_seen: string;
  sample_event_ids: string;
}

export interface AuditSealsTable {
  id: Generated<number>;
  run_id: string;
  first_event_id: number;
  last_event_id: number;
  event_count: number;
  sealed_through: string;
  /** ISO time of the oldest sealed event (migration 0002); null on older seals. */
  first_event_ts: string | null;
  previous_hash: string;
  hash: string;
  created_at: number;
  /** Seal format (migration 0003): 1 = events-only MAC (legacy), 2 = every field in the MAC. */
  format: Generated<number>;
  /** Place in the chain, from 1 (format 2). */
  seq: number | null;
  /** ISO time of the newest sealed event (format 2). */
  last_event_ts: string | null;
  /** HMAC of the seal's canonical event lines (format 2); the seal's MAC covers it. */
  events_digest: string | null;
}

/** The anchored head of the seal chain: one row (id 1), migration 0003. */
export interface AuditSealHeadTable {
  id: number;
  seal_count: number;
  last_hash: string;
  /** HMAC over the count and the last hash; null until the service first anchors it. */
  mac: string | null;
  updated_at: number;
}

/** Login outcomes per hour, kept by a trigger on audit_events (migration 0006). */
export interface AuditLoginStatsTable {
  /** `YYYY-MM-DDTHH` (UTC), the first 13 characters of the events' `ts`. */
  bucket: string;
  shard: number;
  success: number;
  failure: number;
  refused: number;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  login_known_ips: LoginKnownIpsTable;
  audit_events: AuditEventsTable;
  blocks: BlocksTable;
  review_runs: ReviewRunsTable;
  review_findings: ReviewFindingsTable;
  audit_seals: AuditSealsTable;
  audit_seal_head: AuditSealHeadTable;
  audit_login_stats: AuditLoginStatsTable;
}
