import { Logger } from '@nestjs/common';
import type { AuditModuleOptions } from '../audit.module-definition';
import { BlocksService } from '../blocks/blocks.service';
import { InMemoryBlocksRepository } from '../blocks/testing/in-memory-blocks.repository';
import { SessionRevoker } from '../session-revoker.port';
import { RecordingAudit } from '../testing';
import { MeasureDurations, ReviewMeasuresService } from './review-measures.service';
import type { MeasureRequest } from './review.types';
import type { FindingView } from './review.view';

const NOW = Date.parse('2027-03-01T23:00:00.000Z');
const DURATIONS: MeasureDurations = { ipBlockBase: 900, ipBlockMax: 3600, accountLock: 1800 };

class RecordingRevoker extends SessionRevoker {
  readonly calls: { username: string; reason: string }[] = [];
  failWith?: Error;
  revokeAllForUsername(username: string, reason: string): Promise<number> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.calls.push({ username, reason });
    return Promise.resolve(2);
  }
}

function finding(id: string, measures: MeasureRequest[], overrides: Partial<FindingView> = {}) {
  return {
    id,
    rule: 'brute-force',
    severity: 'high',
    subjectKind: 'ip',
    subject: '198.51.100.7',
    evidence: { failures: 40 },
    firstSeen: '2027-03-01T10:00:00.000Z',
    lastSeen: '2027-03-01T11:00:00.000Z',
    sampleEventIds: [1, 2, 3],
    measures,
    ...overrides,
  } satisfies FindingView;
}

function setup() {
  const repository = new InMemoryBlocksRepository();
  const audit = new RecordingAudit();
  const options = { sealKey: 'k'.repeat(40), retentionDays: 30 } as AuditModuleOptions;
  const blocks = new BlocksService(repository, audit.asService(), options);
  const revoker = new RecordingRevoker();
  const measures = new ReviewMeasuresService(blocks, audit.asService(), revoker);
  return { repository, audit, blocks, revoker, measures };
}

describe('ReviewMeasuresService', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it('blocks an IP for the base duration, doubling per earlier block of that IP, up to the cap', async () => {
    const { measures, blocks } = setup();
    const durations: number[] = [];
    for (let night = 0; night < 4; night++) {
      const now = NOW + night * 86_400_000;
      const [record] = await measures.apply(
        [finding(`f${night}`, [{ kind: 'block_ip', ip: '198.51.100.7' }])],
        DURATIONS,
        now,
      );
      expect(record).toMatchObject({ kind: 'block_ip', result: 'applied', findingId: `f${night}` });
      durations.push(record.durationSeconds!);
      expect(record.expiresAt).toBe(new Date(now + record.durationSeconds! * 1000).toISOString());
    }
    expect(durations).toEqual([900, 1800, 3600, 3600]);
    expect(await blocks.previousBlockCount('ip', '198.51.100.7')).toBe(4);
  });

  it('leaves a block in force alone: already_in_force, no second block', async () => {
    const { measures, repository } = setup();
    const request: MeasureRequest = { kind: 'block_ip', ip: '198.51.100.7' };
    const [first] = await measures.apply([finding('f1', [request])], DURATIONS, NOW);
    const [second] = await measures.apply([finding('f2', [request])], DURATIONS, NOW + 60_000);
    expect(second).toMatchObject({ result: 'already_in_force', blockId: first.blockId });
    expect(second.durationSeconds).toBeUndefined();
    expect(repository.blocks.size).toBe(1);
  });

  it('acts once per (kind, target) in a run and never on a finding reported before', async () => {
    const { measures, revoker } = setup();
    const records = await measures.apply(
      [
        finding('f1', [{ kind: 'revoke_sessions', username: 'ann' }]),
        finding('f2', [{ kind: 'revoke_sessions', username: 'ann' }]),
        finding('f3', [{ kind: 'revoke_sessions', username: 'bob' }], { repeatOf: 'old' }),
      ],
      DURATIONS,
      NOW,
    );
    expect(records.map((r) => [r.findingId, r.target])).toEqual([['f1', 'ann']]);
    expect(revoker.calls).toEqual([{ username: 'ann', reason: 'review:brute-force' }]);
    expect(records[0].sessionsRevoked).toBe(2);
  });

  it('locks an account without ending its sessions (failures are no sign anyone got in)', async () => {
    const { measures, revoker, audit } = setup();
    const [record] = await measures.apply(
      [finding('f1', [{ kind: 'lock_account', username: 'ann' }], { rule: 'password-spraying' })],
      DURATIONS,
      NOW,
    );
    expect(record).toMatchObject({
      kind: 'lock_account',
      target: 'ann',
      result: 'applied',
      durationSeconds: 1800,
    });
    expect(revoker.calls).toEqual([]);
    expect(audit.events).toEqual([
      expect.objectContaining({
        type: 'authn_login_lock',
        username: 'ann',
        details: expect.objectContaining({ reason: 'review:password-spraying' }),
      }),
    ]);
  });

  it('records a measure that failed and goes on with the others', async () => {
    const { measures, revoker } = setup();
    revoker.failWith = new Error('database unavailable');
    const records = await measures.apply(
      [
        finding('f1', [
          { kind: 'revoke_sessions', username: 'ann' },
          { kind: 'block_ip', ip: '198.51.100.7' },
        ]),
      ],
      DURATIONS,
      NOW,
    );
    expect(records).toEqual([
      expect.objectContaining({
        kind: 'revoke_sessions',
        result: 'failed',
        detail: 'database unavailable',
      }),
      expect.objectContaining({ kind: 'block_ip', result: 'applied' }),
    ]);
  });

  it('audits a finding at CRITICAL for high and critical, WARN for medium, INFO for low', async () => {
    const { measures, audit } = setup();
    for (const severity of ['critical', 'high', 'medium', 'low'] as const) {
      await measures.recordFinding(
        finding(`f-${severity}`, [], { severity, subjectKind: 'username', subject: 'ann' }),
        'run-1',
      );
    }
    expect(audit.events.map((e) => e.level)).toEqual(['CRITICAL', 'CRITICAL', 'WARN', 'INFO']);
    expect(audit.events[0]).toMatchObject({
      type: 'review_finding',
      username: 'ann',
      details: expect.objectContaining({ findingId: 'f-critical', runId: 'run-1' }),
    });
  });
});
