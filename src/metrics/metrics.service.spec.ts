import { publishAuditWrite, publishTokenRejected } from '../common';
import { MetricsService, ObservedAuditEvent } from './metrics.service';

function loginEvent(type: string, outcome: string, reason?: string): ObservedAuditEvent {
  return { type, outcome, reason, method: 'POST', path: '/auth/login' };
}

async function started(enabled = true): Promise<MetricsService> {
  const service = new MetricsService({ enabled, allowIps: [], token: undefined });
  service.onModuleInit();
  return Promise.resolve(service);
}

async function valueOf(
  service: MetricsService,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  // A histogram's samples (`_sum`, `_count`, `_bucket`) live under its base name.
  const base = name.replace(/_(sum|count|bucket)$/, '');
  const metric = await (
    service.registry.getSingleMetric(name) ?? service.registry.getSingleMetric(base)
  )?.get();
  const sample = metric?.values.find(
    (entry) =>
      ((entry as { metricName?: string }).metricName ?? metric.name) === name &&
      Object.entries(labels).every(([key, value]) => String(entry.labels[key]) === value),
  );
  return sample?.value ?? 0;
}

describe('MetricsService', () => {
  let service: MetricsService;
  afterEach(() => service.onModuleDestroy());

  it('counts login attempts by outcome and reason, one per login request', async () => {
    service = await started();
    service.observeAuditEvent(loginEvent('authn_login_success', 'success'));
    service.observeAuditEvent(loginEvent('authn_login_fail', 'failure', 'bad_password'));
    service.observeAuditEvent(loginEvent('authn_login_fail_max', 'failure', 'bad_password'));
    service.observeAuditEvent(loginEvent('malicious_csrf', 'failure'));
    service.observeAuditEvent(loginEvent('authn_login_fail', 'failure', 'made-up\nreason'));
    // Not login attempts: a lock placed by the review, and a refresh.
    service.observeAuditEvent({
      ...loginEvent('authn_login_lock', 'success', 'locked'),
      path: '/audit/reviews',
    });
    service.observeAuditEvent({
      ...loginEvent('authn_token_refreshed', 'success'),
      path: '/auth/refresh',
    });

    expect(
      await valueOf(service, 'gatehouse_login_attempts_total', {
        outcome: 'success',
        reason: 'none',
      }),
    ).toBe(1);
    expect(
      await valueOf(service, 'gatehouse_login_attempts_total', {
        outcome: 'failure',
        reason: 'bad_password',
      }),
    ).toBe(2);
    expect(
      await valueOf(service, 'gatehouse_login_attempts_total', {
        outcome: 'failure',
        reason: 'csrf',
      }),
    ).toBe(1);
    expect(
      await valueOf(service, 'gatehouse_login_attempts_total', {
        outcome: 'failure',
        reason: 'other',
      }),
    ).toBe(1);
    expect(await valueOf(service, 'gatehouse_lockouts_total', { kind: 'login_throttle' })).toBe(1);
    expect(await valueOf(service, 'gatehouse_lockouts_total', { kind: 'account' })).toBe(1);
    expect(
      await valueOf(service, 'gatehouse_audit_events_total', { type: 'authn_token_refreshed' }),
    ).toBe(1);
  });

  it('counts throttle, lock, block and rate-limit refusals', async () => {
    service = await started();
    service.observeAuditEvent(loginEvent('authn_login_fail', 'failure', 'throttled'));
    service.observeAuditEvent(loginEvent('authn_login_fail', 'failure', 'locked'));
    service.observeAuditEvent(loginEvent('authn_login_fail', 'failure', 'ip_blocked'));
    service.observeAuditEvent(loginEvent('excess_rate_limit_exceeded', 'failure', 'throttled'));
    for (const kind of ['pair_throttle', 'account_lock', 'ip_block', 'rate_limit']) {
      expect(await valueOf(service, 'gatehouse_login_throttle_hits_total', { kind })).toBe(1);
    }
  });

  it('records review runs and findings from their audit events', async () => {
    service = await started();
    service.observeAuditEvent({
      type: 'review_finding',
      outcome: 'success',
      method: '-',
      path: '-',
      details: { rule: 'brute-force', severity: 'high' },
    });
    service.observeAuditEvent({
      type: 'review_completed',
      outcome: 'success',
      method: '-',
      path: '-',
      details: { durationMs: 1500, eventsReviewed: 1000, findings: 3 },
    });
    expect(
      await valueOf(service, 'gatehouse_review_findings_total', {
        rule: 'brute-force',
        severity: 'high',
      }),
    ).toBe(1);
    expect(await valueOf(service, 'gatehouse_review_runs_total', { outcome: 'success' })).toBe(1);
    expect(await valueOf(service, 'gatehouse_review_last_events_reviewed')).toBe(1000);
    expect(await valueOf(service, 'gatehouse_review_last_findings')).toBe(3);
    expect(await valueOf(service, 'gatehouse_review_duration_seconds_sum')).toBe(1.5);
  });

  it('observes audit write latency and token rejections from the diagnostics channels', async () => {
    service = await started();
    publishAuditWrite(0.0004);
    publishTokenRejected('TOKEN_EXPIRED');
    publishTokenRejected('SOMETHING_ELSE');
    expect(await valueOf(service, 'gatehouse_audit_write_duration_seconds_count')).toBe(1);
    expect(
      await valueOf(service, 'gatehouse_audit_write_duration_seconds_bucket', { le: '0.0005' }),
    ).toBe(1);
    expect(
      await valueOf(service, 'gatehouse_token_verification_failures_total', {
        code: 'TOKEN_EXPIRED',
      }),
    ).toBe(1);
    expect(
      await valueOf(service, 'gatehouse_token_verification_failures_total', { code: 'other' }),
    ).toBe(1);
    const { body } = await service.render();
    expect(body).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(body).toContain('process_resident_memory_bytes');
  });

  it('stops listening when the application closes, and collects nothing when disabled', async () => {
    service = await started();
    service.onModuleDestroy();
    publishAuditWrite(0.001);
    expect(await valueOf(service, 'gatehouse_audit_write_duration_seconds_count')).toBe(0);

    service = await started(false);
    service.observeAuditEvent(loginEvent('authn_login_success', 'success'));
    publishTokenRejected('TOKEN_INVALID');
    const { body } = await service.render();
    expect(body).not.toContain('nodejs_eventloop_lag');
    expect(await valueOf(service, 'gatehouse_login_attempts_total', { outcome: 'success' })).toBe(
      0,
    );
  });
});
