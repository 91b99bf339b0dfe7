import { describeEachDialect, truncateAll } from '../../../test/support/database';
import { failedLoginFields } from '../../testing';
import type { AuditEvent } from '../audit-event';
import { KyselyAuditRepository } from '../audit.repository';
import { AuditStatsRepository, KyselyAuditStatsRepository } from './audit-stats.repository';
import { AuditStatsService } from './audit-stats.service';

type NewEvent = Omit<AuditEvent, 'id'>;

const at = (hour: number, minute = 0): string =>
  new Date(Date.UTC(2026, 0, 31, hour, minute)).toISOString();

const login = (ts: string, overrides: Partial<NewEvent> = {}): NewEvent =>
  failedLoginFields({ ts, ...overrides });

const success = { type: 'authn_login_success', outcome: 'success', reason: undefined } as const;

describeEachDialect('KyselyAuditStatsRepository', (getDb) => {
  let repository: AuditStatsRepository;
  let events: KyselyAuditRepository;
  const window = { from: at(0), to: at(24), bucket: '1h' as const };

  beforeEach(async () => {
    await truncateAll(getDb().db);
    repository = new KyselyAuditStatsRepository(getDb().db);
    events = new KyselyAuditRepository(getDb().db);
  });

  async function insertFinding(id: string, runId: string, firstSeen: string, subject = 'alice') {
    await getDb()
      .db.insertInto('review_findings')
      .values({
        id,
        run_id: runId,
        rule: 'brute_force',
        severity: 'high',
        subject_kind: 'account',
        subject,
        evidence: '{}',
        first_seen: firstSeen,
        last_seen: firstSeen,
        sample_event_ids: '[]',
      })
      .execute();
  }

  async function insertRun(id: string) {
    await getDb()
      .db.insertInto('review_runs')
      .values({
        id,
        window_from: at(0),
        window_to: at(23),
        status: 'completed',
        trigger: 'manual',
        dry_run: 1,
        started_at: 0,
        lease_expires_at: 0,
        events_reviewed: 0,
      })
      .execute();
  }

  it('counts logins per hour as success, checked failure and refused (429, 403, 503)', async () => {
    for (const event of [
      login(at(10, 1), success),
      login(at(10, 2), { ...success, type: 'authn_login_successafterfail' }),
      login(at(10, 3)),
      login(at(10, 4), { reason: 'unknown_user' }),
      login(at(10, 5), { type: 'authn_login_fail_max' }),
      login(at(10, 6), { reason: 'locked' }),
      login(at(10, 7), { reason: 'ip_blocked' }),
      login(at(10, 8), { reason: 'busy' }),
      // Answered 503 while the database did not answer (recorded when it came back).
      login(at(10, 14), { reason: 'unavailable' }),
      login(at(10, 9), { type: 'excess_rate_limit_exceeded', reason: 'throttled' }),
      login(at(10, 10), { type: 'malicious_csrf', reason: undefined }),
      login(at(11, 59), { reason: 'disabled' }),
      // Neither a login answer nor a login route: not counted.
      login(at(10, 11), { type: 'input_validation_fail', reason: 'invalid_input' }),
      login(at(10, 12), { type: 'excess_rate_limit_exceeded', path: '/users' }),
      login(at(10, 13), {
        type: 'authn_token_refreshed',
        outcome: 'success',
        path: '/auth/refresh',
      }),
      // Outside the window.
      login(at(24, 0)),
      login('2026-01-30T23:59:59.999Z'),
    ]) {
      await events.insert(event);
    }

    expect(await repository.loginsPerBucket(window)).toEqual([
      { key: '2026-01-31T10', success: 2, failure: 3, refused: 6 },
      { key: '2026-01-31T11', success: 0, failure: 1, refused: 0 },
    ]);
    expect(await repository.loginsPerBucket({ ...window, bucket: '1d' })).toEqual([
      { key: '2026-01-31', success: 2, failure: 4, refused: 6 },
    ]);
  });

  it('counts a finding found by two overlapping runs once, in the bucket it was first seen', async () => {
    await insertRun('run-a');
    await insertRun('run-b');
    await insertFinding('f-1', 'run-a', at(3, 15));
    await insertFinding('f-2', 'run-b', at(3, 15));
    await insertFinding('f-3', 'run-b', at(3, 40), 'bob');
    await insertFinding('f-4', 'run-b', at(5, 0), 'carol');
    await insertFinding('f-5', 'run-b', at(24, 0), 'dave');

    expect(await repository.findingsPerBucket(window)).toEqual([
      { key: '2026-01-31T03', findings: 2 },
      { key: '2026-01-31T05', findings: 1 },
    ]);
  });

  it('ranks the top failing IPs and usernames by checked failures only, at most the limit', async () => {
    for (let i = 0; i < 3; i++) await events.insert(login(at(1, i), { ip: '198.51.100.1' }));
    for (let i = 0; i < 2; i++)
      await events.insert(login(at(2, i), { ip: '198.51.100.2', username: 'bob' }));
    await events.insert(login(at(2, 30), { ip: '198.51.100.3', username: undefined }));
    // Refusals are not guesses (API.md): they never rank.
    for (let i = 0; i < 5; i++)
      await events.insert(
        login(at(3, i), { ip: '198.51.100.9', username: 'zed', reason: 'locked' }),
      );

    expect(await repository.topFailingIps(window, 2)).toEqual([
      { ip: '198.51.100.1', failures: 3 },
      { ip: '198.51.100.2', failures: 2 },
    ]);
    expect(await repository.topFailingUsernames(window, 10)).toEqual([
      { username: 'alice', failures: 3 },
      { username: 'bob', failures: 2 },
    ]);
  });

  it('answers every bucket of the window through the service, empty ones as zeros', async () => {
    await events.insert(login(at(10, 30)));
    await insertRun('run-a');
    await insertFinding('f-1', 'run-a', at(10, 45));
    const stats = await new AuditStatsService(repository).stats(
      { bucket: '1h' },
      Date.parse(at(12, 30)),
    );
    expect(stats.from).toBe('2026-01-24T12:00:00.000Z');
    expect(stats.to).toBe(at(12, 30));
    expect(stats.series).toHaveLength(169);
    expect(stats.series[0].start).toBe('2026-01-24T12:00:00.000Z');
    expect(stats.series.find((point) => point.start === at(10))).toEqual({
      start: at(10),
      success: 0,
      failure: 1,
      refused: 0,
      findings: 1,
    });
    expect(stats.series.reduce((sum, point) => sum + point.failure, 0)).toBe(1);
  });
});
