import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localStamp, renderReport, reportFileName, writeReportAtomically } from './review-report';
import type { FindingView, ReviewRunView } from './review.view';

function finding(id: string, overrides: Partial<FindingView>): FindingView {
  return {
    id,
    rule: 'brute-force',
    severity: 'high',
    subjectKind: 'ip',
    subject: '198.51.100.7',
    evidence: { failures: 40, usernames: ['ann', 'bob'] },
    firstSeen: '2027-03-01T10:00:00.000Z',
    lastSeen: '2027-03-01T11:00:00.000Z',
    sampleEventIds: [11, 12, 13, 14, 15, 16],
    ...overrides,
  };
}

function run(overrides: Partial<ReviewRunView> = {}): ReviewRunView {
  return {
    id: 'run-1',
    status: 'completed',
    trigger: 'schedule',
    dryRun: false,
    window: { from: '2027-03-01T00:00:00.000Z', to: '2027-03-01T22:00:00.000Z' },
    startedAt: '2027-03-01T22:00:00.000Z',
    finishedAt: '2027-03-01T22:00:01.000Z',
    durationMs: 1234,
    eventsReviewed: 500,
    counts: {
      byType: { authn_login_fail: 450, authn_login_success: 50 },
      findingsByRule: {},
      findingsBySeverity: { high: 1, critical: 1, low: 1 },
    },
    findings: [
      finding('f-high', {}),
      finding('f-crit', {
        rule: 'credential-stuffing',
        severity: 'critical',
        subject: '203.0.113.9',
      }),
      finding('f-low', {
        rule: 'new-ip-success',
        severity: 'low',
        subjectKind: 'username',
        subject: 'cy',
        repeatOf: 'f-old',
      }),
    ],
    measures: [
      {
        kind: 'block_ip',
        target: '198.51.100.7',
        findingId: 'f-high',
        result: 'applied',
        expiresAt: '2027-03-01T22:15:00.000Z',
      },
      {
        kind: 'revoke_sessions',
        target: 'ann',
        findingId: 'f-crit',
        result: 'applied',
        sessionsRevoked: 1,
      },
      {
        kind: 'lock_account',
        target: 'bob',
        findingId: 'f-crit',
        result: 'failed',
        detail: 'boom',
      },
    ],
    seal: { id: 7, firstEventId: 1, lastEventId: 500, eventCount: 500, hash: 'h' },
    errors: [],
    reportPath: null,
    ...overrides,
  };
}

describe('renderReport', () => {
  it('names every finding under its severity, most severe first, and marks repeats', () => {
    const report = renderReport(run(), 'UTC');
    const critical = report.indexOf('### Critical (1)');
    const high = report.indexOf('### High (1)');
    const low = report.indexOf('### Low (1)');
    expect(critical).toBeGreaterThan(0);
    expect(high).toBeGreaterThan(critical);
    expect(low).toBeGreaterThan(high);
    expect(report).not.toContain('### Medium');
    expect(report.slice(critical, high)).toContain('| credential-stuffing | ip 203.0.113.9 |');
    expect(report.slice(high, low)).toContain('| brute-force | ip 198.51.100.7 |');
    expect(report.slice(low)).toContain('| new-ip-success | username cy (reported before) |');
    // Evidence, with at most five samples of a list and of the event ids.
    expect(report).toContain('failures: 40; usernames: ann, bob');
    expect(report).toContain('| 11, 12, 13, 14, 15 |');
    expect(report).toContain('| Findings | 3 (1 critical, 1 high, 1 low) |');
  });

  it('lists every measure with its result, and counts only the applied ones as applied', () => {
    const report = renderReport(run(), 'UTC');
    expect(report).toContain('| Measures | 2 applied, 3 in all |');
    expect(report).toContain(
      '| block_ip | 198.51.100.7 | applied | 2027-03-01T22:15:00.000Z | f-high |',
    );
    expect(report).toContain('| revoke_sessions | ann | applied (1 session ended) |');
    expect(report).toContain('| lock_account | bob | failed (boom) |');
    expect(report).toContain('| Seal | #7: events 1–500 (500) |');
  });

  it('titles the report in the configured zone', () => {
    expect(renderReport(run(), 'Europe/Berlin')).toMatch(
      /^# Login review 2027-03-01 23:00 \(Europe\/Berlin\)\n/,
    );
    expect(localStamp('2027-03-01T22:00:00.000Z', 'America/New_York')).toBe('2027-03-01T17-00');
  });

  it('says so on a dry run and when there is nothing to report', () => {
    const report = renderReport(
      run({
        dryRun: true,
        findings: [],
        measures: [],
        counts: { byType: {}, findingsByRule: {}, findingsBySeverity: {} },
      }),
      'UTC',
    );
    expect(report).toContain('(dry run: no measures taken)');
    expect(report).toContain('No findings.');
    expect(report).toContain('None: dry run.');
  });

  it('keeps attacker-chosen text inside its cell: no new row, no markup', () => {
    const subject = 'evil|name\n| injected | row |<script>`x`';
    const report = renderReport(
      run({ findings: [finding('f', { subjectKind: 'username', subject })], measures: [] }),
      'UTC',
    );
    const line = report.split('\n').find((l) => l.includes('evil'))!;
    expect(line).toContain('evil\\|name \\| injected \\| row \\|\\<script\\>\\`x\\`');
    expect(report).not.toContain('\n| injected');
    expect(report).not.toContain('<script>');
  });
});

describe('writeReportAtomically', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'review-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never replaces an existing report unless asked, and leaves no temporary file', async () => {
    const path = join(dir, reportFileName('run-1'));
    expect(path.endsWith('review-run-1.md')).toBe(true);
    await writeReportAtomically(path, 'first\n', { replace: false });
    await expect(writeReportAtomically(path, 'second\n', { replace: false })).rejects.toThrow(
      /EEXIST/,
    );
    expect(readFileSync(path, 'utf8')).toBe('first\n');
    await writeReportAtomically(path, 'third\n', { replace: true });
    expect(readFileSync(path, 'utf8')).toBe('third\n');
    expect(readdirSync(dir)).toEqual(['review-run-1.md']);
  });

  it('fails without touching the target when the folder is not writable as a folder', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, '');
    await expect(
      writeReportAtomically(join(file, 'review-x.md'), 'x', { replace: true }),
    ).rejects.toThrow(/ENOTDIR/);
  });
});
