import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import diagnosticsChannel from 'node:diagnostics_channel';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  AUDIT_WRITE_CHANNEL,
  AuditEventType,
  AuditOutcome,
  AuditWriteTiming,
  LOGIN_EVENT_TYPES,
  LoginFailureReason,
  TOKEN_REJECTED_CHANNEL,
  TokenRejection,
} from '../common';
import { METRICS_MODULE_OPTIONS, MetricsModuleOptions } from './metrics.options';

/**
 * The fields of an audit event the metrics read. Structural, so this module needs nothing of
 * `audit` at run time; `MetricsAuditSink` hands over the committed events.
 */
export interface ObservedAuditEvent {
  type: string;
  outcome: string;
  reason?: string;
  method: string;
  path: string;
  details?: Record<string, unknown>;
}

const LOGIN_PATH = '/auth/login';
/** The event types a login request ends in (API.md: exactly one per request). */
const LOGIN_ATTEMPT_TYPES: ReadonlySet<string> = new Set<AuditEventType>([
  ...LOGIN_EVENT_TYPES,
  AuditEventType.CsrfRefused,
  AuditEventType.RateLimitExceeded,
  AuditEventType.InputValidationFail,
]);
/**
 * The `reason` label of each refusal. Label values are bounded: a reason missing here (or one
 * this service does not know) is `other`, so no input can grow the series; a new reason makes
 * this table fail to compile until it is given a label.
 */
const LOGIN_REASON_LABELS: Record<LoginFailureReason, string> = {
  unknown_user: LoginFailureReason.UnknownUser,
  bad_password: LoginFailureReason.BadPassword,
  disabled: LoginFailureReason.Disabled,
  locked: LoginFailureReason.Locked,
  ip_blocked: LoginFailureReason.IpBlocked,
  throttled: LoginFailureReason.Throttled,
  invalid_input: LoginFailureReason.InvalidInput,
  unavailable: 'other',
  busy: 'other',
};
/** Which throttle refused a login, by the reason it gave. */
const THROTTLE_HIT_BY_REASON: Partial<Record<LoginFailureReason, string>> = {
  throttled: 'pair_throttle',
  locked: 'account_lock',
  ip_blocked: 'ip_block',
};
const TOKEN_CODES = new Set(['TOKEN_MISSING', 'TOKEN_EXPIRED', 'TOKEN_INVALID', 'SESSION_REVOKED']);
const SEVERITIES = new Set(['low', 'medium', 'high', 'critical']);
const RULE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** Event-loop delay sampling interval; every sample also includes it (see docs/benchmarks.md). */
export const EVENT_LOOP_RESOLUTION_MS = 10;

function isLoginAttempt(event: ObservedAuditEvent): boolean {
  if (!LOGIN_ATTEMPT_TYPES.has(event.type)) return false;
  // A lock the review or an admin places is `authn_login_lock` with outcome success.
  if (event.type === AuditEventType.LoginLock && event.outcome === AuditOutcome.Success)
    return false;
  return event.method === 'POST' && event.path.toLowerCase().replace(/\/+$/, '') === LOGIN_PATH;
}

function knownReason(reason: string | undefined): LoginFailureReason | undefined {
  return reason !== undefined && Object.hasOwn(LOGIN_REASON_LABELS, reason)
    ? (reason as LoginFailureReason)
    : undefined;
}

function loginReason(event: ObservedAuditEvent): string {
  if (event.outcome === AuditOutcome.Success) return 'none';
  const reason = knownReason(event.reason);
  if (reason !== undefined && LOGIN_REASON_LABELS[reason] !== 'other') return reason;
  if (event.type === AuditEventType.CsrfRefused) return 'csrf';
  return 'other';
}

/** Which throttle refused a login, or undefined when none did. */
function throttleHit(event: ObservedAuditEvent): string | undefined {
  if (event.type === AuditEventType.RateLimitExceeded) return 'rate_limit';
  if (event.outcome !== AuditOutcome.Failure) return undefined;
  const reason = knownReason(event.reason);
  return reason === undefined ? undefined : THROTTLE_HIT_BY_REASON[reason];
}

/** Which lock an event places, or undefined. */
function lockPlaced(event: ObservedAuditEvent): string | undefined {
  if (event.type === AuditEventType.LoginFailMax) return 'login_throttle';
  if (event.type === AuditEventType.LoginLock && event.outcome === AuditOutcome.Success)
    return 'account';
  if (event.type === AuditEventType.IpBlocked) return 'ip';
  return undefined;
}

function numberIn(details: Record<string, unknown> | undefined, key: string): number | undefined {
  const value = details?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function stringIn(details: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = details?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The Prometheus registry of one application and the series of issue 7. Everything is
 * derived from committed audit events (login attempts, throttle hits, locks, review runs and
 * findings) or from two diagnostics channels (audit write latency, token rejections), so no
 * other module calls this one. When metrics are off nothing is collected or subscribed.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();
  readonly enabled: boolean;

  private readonly loginAttempts = new Counter({
    name: 'gatehouse_login_attempts_total',
    help: 'Requests to POST /auth/login by outcome and failure reason (one per request).',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly throttleHits = new Counter({
    name: 'gatehouse_login_throttle_hits_total',
    help: 'Login requests refused by a throttle, lock or block, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly lockouts = new Counter({
    name: 'gatehouse_lockouts_total',
    help: 'Locks and blocks placed (login throttle, account lock, IP block).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly tokenFailures = new Counter({
    name: 'gatehouse_token_verification_failures_total',
    help: 'Access tokens refused on protected routes, by 401 code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly auditEvents = new Counter({
    name: 'gatehouse_audit_events_total',
    help: 'Audit events committed, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly auditWriteSeconds = new Histogram({
    name: 'gatehouse_audit_write_duration_seconds',
    help: 'Time to commit one audit event to the database (AuditService.record).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  private readonly reviewRuns = new Counter({
    name: 'gatehouse_review_runs_total',
    help: 'Completed review runs by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly reviewSeconds = new Histogram({
    name: 'gatehouse_review_duration_seconds',
    help: 'Duration of completed review runs.',
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });
  private readonly reviewEvents = new Gauge({
    name: 'gatehouse_review_last_events_reviewed',
    help: 'Events reviewed by the last completed review run.',
    registers: [this.registry],
  });
  private readonly reviewFindingsLast = new Gauge({
    name: 'gatehouse_review_last_findings',
    help: 'Findings of the last completed review run.',
    registers: [this.registry],
  });
  private readonly reviewFindings = new Counter({
    name: 'gatehouse_review_findings_total',
    help: 'New review findings by rule and severity.',
    labelNames: ['rule', 'severity'] as const,
    registers: [this.registry],
  });

  private readonly onAuditWrite = (message: unknown): void => {
    this.auditWriteSeconds.observe((message as AuditWriteTiming).seconds);
  };
  private readonly onTokenRejected = (message: unknown): void => {
    const { code } = message as TokenRejection;
    this.tokenFailures.inc({ code: TOKEN_CODES.has(code) ? code : 'other' });
  };

  constructor(@Inject(METRICS_MODULE_OPTIONS) options: MetricsModuleOptions) {
    this.enabled = options.enabled;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    collectDefaultMetrics({
      register: this.registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS,
    });
    diagnosticsChannel.subscribe(AUDIT_WRITE_CHANNEL, this.onAuditWrite);
    diagnosticsChannel.subscribe(TOKEN_REJECTED_CHANNEL, this.onTokenRejected);
    // Zero-valued series for the known labels, so dashboards and alerts see them from the start.
    for (const code of TOKEN_CODES) this.tokenFailures.inc({ code }, 0);
    this.loginAttempts.inc({ outcome: 'success', reason: 'none' }, 0);
    this.reviewRuns.inc({ outcome: 'success' }, 0);
  }

  onModuleDestroy(): void {
    if (!this.enabled) return;
    diagnosticsChannel.unsubscribe(AUDIT_WRITE_CHANNEL, this.onAuditWrite);
    diagnosticsChannel.unsubscribe(TOKEN_REJECTED_CHANNEL, this.onTokenRejected);
  }

  /** Counts what one committed audit event says; cheap and synchronous (the login path). */
  observeAuditEvent(event: ObservedAuditEvent): void {
    if (!this.enabled) return;
    this.auditEvents.inc({ type: event.type });
    if (isLoginAttempt(event)) {
      this.loginAttempts.inc({ outcome: event.outcome, reason: loginReason(event) });
      const hit = throttleHit(event);
      if (hit !== undefined) this.throttleHits.inc({ kind: hit });
    }
    const lock = lockPlaced(event);
    if (lock !== undefined) this.lockouts.inc({ kind: lock });
    if (event.type === AuditEventType.ReviewCompleted) this.observeReviewRun(event);
    if (event.type === AuditEventType.ReviewFinding) this.observeFinding(event);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private observeReviewRun(event: ObservedAuditEvent): void {
    this.reviewRuns.inc({ outcome: event.outcome });
    const durationMs = numberIn(event.details, 'durationMs');
    if (durationMs !== undefined) this.reviewSeconds.observe(durationMs / 1000);
    const reviewed = numberIn(event.details, 'eventsReviewed');
    if (reviewed !== undefined) this.reviewEvents.set(reviewed);
    const findings = numberIn(event.details, 'findings');
    if (findings !== undefined) this.reviewFindingsLast.set(findings);
  }

  private observeFinding(event: ObservedAuditEvent): void {
    const rule = stringIn(event.details, 'rule') ?? '';
    const severity = stringIn(event.details, 'severity') ?? '';
    this.reviewFindings.inc({
      rule: RULE_NAME.test(rule) ? rule : 'other',
      severity: SEVERITIES.has(severity) ? severity : 'other',
    });
  }
}
