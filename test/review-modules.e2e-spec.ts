import { Injectable, Module } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { Kysely } from 'kysely';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AuditModule, AuditService, SessionRevoker } from '../src/audit';
import { AUDIT_MODULE_OPTIONS } from '../src/audit/audit.module-definition';
import { ReviewModule } from '../src/audit/review';
import { auditEventFromRow } from '../src/audit/audit.repository';
import { ReviewDetector } from '../src/audit/review/review-detector.decorator';
import { AuditReviewCommand, AuditVerifyCommand } from '../src/audit/review/review.commands';
import { OfflineReviewService } from '../src/audit/review/offline-review.service';
import { REVIEW_JOB_NAME } from '../src/audit/review/review.scheduler';
import { ReviewRepository } from '../src/audit/review/review.repository';
import { ReviewService } from '../src/audit/review/review.service';
import type {
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../src/audit/review/review.types';
import { DatabaseModule, DB, KYSELY } from '../src/database';
import { createTestApp, TestApp } from './support/app';
import { createPostgresSchema, postgresUrl } from './support/database';
import { Clock } from '../src/common';
import { benignDay, EventScript, storeReviewEvents } from './support/review-events';

// Hooks boot a whole app; on a loaded two-core machine that can pass Jest's 5 s default.
jest.setTimeout(60_000);

const store = storeReviewEvents;

/** A detector a team adds by writing one class: every login from a `.onion`-looking IP. */
@Injectable()
@ReviewDetector()
class TorExitDetector implements ReviewDetectorRule {
  readonly rule = 'tor-exit';
  readonly description = 'Logins from a listed exit node';

  start(): DetectorPass {
    const seen: ReviewEvent[] = [];
    return {
      observe: (event) => {
        if (event.ip === '185.220.101.1' && seen.length < 10) seen.push(event);
      },
      findings: (): Finding[] =>
        seen.length === 0
          ? []
          : [
              {
                rule: this.rule,
                severity: 'low',
                subjectKind: 'ip',
                subject: '185.220.101.1',
                evidence: { logins: seen.length },
                firstSeen: seen[0].ts,
                lastSeen: seen[seen.length - 1].ts,
                sampleEventIds: seen.map((event) => event.id),
              },
            ],
    };
  }
}

@Module({ providers: [TorExitDetector] })
class TeamDetectorsModule {}

/** The review's port, bound by the host (GatehouseModule binds auth's); unused by a dry run. */
@Injectable()
class NoSessionsRevoker extends SessionRevoker {
  revokeAllForUsername(): Promise<number> {
    return Promise.resolve(0);
  }
}

describe('review detectors are discovered, in any module (e2e)', () => {
  it('runs a user-defined @ReviewDetector() next to the built-in ones, in the database and offline reviews', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'gh-review-'));
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ url: 'sqlite::memory:', timeoutMs: 5000, poolSize: 1 }),
        ReviewModule.forRoot({
          sessionRevoker: NoSessionsRevoker,
          imports: [
            AuditModule.forRoot({
              sealKey: 'k'.repeat(48),
              logDir: reportDir,
              fileSink: false,
              retentionDays: 3650,
              review: {
                enabled: false,
                timeZone: 'UTC',
                reportDir,
                thresholds: {
                  bruteForceFailures: 20,
                  sprayingUsernames: 10,
                  stuffingIps: 20,
                  stuffingUsernames: 20,
                  distributedIps: 10,
                  successAfterFailures: 5,
                  enumerationUnknown: 20,
                  lockoutBurstAccounts: 5,
                  lockoutBurstWindow: 600,
                },
                ipBlockBase: 3600,
                ipBlockMax: 86400,
                accountLock: 3600,
              },
            }),
          ],
        }),
        TeamDetectorsModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    try {
      const script = new EventScript('2026-03-01T10:00:00.000Z');
      script.succeed('alice', '185.220.101.1');
      for (let i = 0; i < 25; i += 1) script.fail('alice', '203.0.113.5');
      await store(app.get<Kysely<DB>>(KYSELY), script.events);
      const run = await app.get(ReviewService).run({ trigger: 'test', dryRun: true });
      expect(run.findings.map((f) => f.rule).sort()).toEqual(['brute-force', 'tor-exit']);
      expect(run.findings.find((f) => f.rule === 'tor-exit')).toMatchObject({
        severity: 'low',
        evidence: { logins: 1 },
        sampleEventIds: [1],
      });

      const file = join(reportDir, 'audit-2026-03-01.jsonl');
      writeFileSync(file, script.events.map((event) => JSON.stringify(event)).join('\n'));
      const offline = await app.get(OfflineReviewService).reviewFiles([reportDir]);
      expect(offline.findings.map((f) => f.rule).sort()).toEqual(['brute-force', 'tor-exit']);
    } finally {
      await app.close();
      rmSync(reportDir, { recursive: true, force: true });
    }
  });
});

describe('the 23:00 job (e2e)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('is registered as login-review at 23:00 in REVIEW_TIMEZONE, and its handler calls the review', async () => {
    t = await createTestApp({ REVIEW_ENABLED: 'true', REVIEW_TIMEZONE: 'Asia/Tokyo' });
    const job = t.app.get(SchedulerRegistry).getCronJob(REVIEW_JOB_NAME);
    expect(job.isActive).toBe(true);
    const next = job.nextDate();
    expect(next.zoneName).toBe('Asia/Tokyo');
    expect([next.hour, next.minute, next.second]).toEqual([23, 0, 0]);
    // 23:00 in Tokyo (UTC+9) is 14:00 UTC.
    expect(new Date(next.toMillis()).getUTCHours()).toBe(14);
    expect(next.toMillis()).toBeGreaterThan(Date.now());
    expect(next.toMillis() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const reviews = t.app.get(ReviewService);
    const scheduled = jest.spyOn(reviews, 'runScheduled');
    const run = jest.spyOn(reviews, 'run');
    await job.fireOnTick();
    expect(scheduled).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledWith({ trigger: 'scheduled' });
    const [row] = await t.db.selectFrom('review_runs').selectAll().execute();
    expect(row).toMatchObject({ trigger: 'scheduled', status: 'completed' });
  });

  it('stays off with REVIEW_ENABLED=false', async () => {
    t = await createTestApp({ REVIEW_ENABLED: 'false' });
    const job = t.app.get(SchedulerRegistry).getCronJob(REVIEW_JOB_NAME);
    expect(job.isActive).toBe(false);
  });
});

describe('offline review of rotated files (e2e)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await createTestApp();
    dir = mkdtempSync(join(tmpdir(), 'gh-offline-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same findings from a gzipped JSON-lines file as the database review of the same events', async () => {
    const script = new EventScript('2026-04-01T00:00:00.000Z');
    benignDay(script, 100, 2000, 7);
    for (let i = 0; i < 25; i += 1) script.fail('alice', '203.0.113.5');
    for (let i = 0; i < 12; i += 1) script.fail(`user${i}`, '203.0.113.6');
    // 24 checked failures from 12 IPs: over REVIEW_DISTRIBUTED_IPS and _FAILURES.
    for (let i = 0; i < 24; i += 1) script.fail('user50', `198.18.9.${i % 12}`);
    for (let i = 0; i < 30; i += 1) script.fail(`nobody${i}`, '203.0.113.7', 'unknown_user');
    for (let ip = 0; ip < 25; ip += 1)
      for (let u = 0; u < 2; u += 1) script.fail(`leak${ip}-${u}`, `100.64.${ip}.9`);
    for (let i = 0; i < 6; i += 1) script.fail('user60', '203.0.113.8');
    script.succeed('user60', '203.0.113.8');
    script.succeed('user61', '203.0.113.9');
    script.reuse('user62', '203.0.113.10');
    for (let i = 0; i < 6; i += 1) script.lock(`user${70 + i}`, '203.0.113.11', 10_000);
    await store(t.db, script.events);
    const window = { from: '2026-04-01T00:00:00.000Z', to: '2026-04-03T00:00:00.000Z' };

    const database = await t.app
      .get(ReviewService)
      .run({ ...window, dryRun: true, trigger: 'test' });
    const rules = database.findings.map((f) => f.rule);
    for (const rule of [
      'brute-force',
      'password-spraying',
      'distributed-attack',
      'username-enumeration',
      'credential-stuffing',
      'success-after-failures',
      'new-ip-success',
      'refresh-token-reuse',
      'lockout-burst',
    ]) {
      expect(rules).toContain(rule);
    }

    // The file as the file sink writes it: one canonical event per line, the same text as the row.
    const rows = await t.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
    const lines = rows.map((row) => JSON.stringify(auditEventFromRow(row))).join('\n');
    const file = join(dir, 'audit-2026-04-01.jsonl.gz');
    writeFileSync(file, gzipSync(`${lines}\n`));
    const offline = await t.app.get(OfflineReviewService).reviewFiles([file], window);

    const strip = (findings: (Finding & { id?: string })[]): Finding[] =>
      findings.map(({ id: _id, ...finding }) => finding);
    expect(strip(offline.findings)).toEqual(strip(database.findings));
    expect(offline.eventsReviewed).toBe(database.eventsReviewed);
    expect(offline.counts).toEqual(database.counts.byType);
    expect(offline.skippedLines).toBe(0);
  });

  it('prints the summary from the CLI commands (database, --file, verify)', async () => {
    const output: string[] = [];
    const write = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    try {
      const command = new AuditReviewCommand(
        t.app.get(ReviewService),
        t.app.get(OfflineReviewService),
        t.app.get(AuditService),
        t.app.get(AUDIT_MODULE_OPTIONS),
      );
      expect(command.parseFrom('2026-04-01')).toBe('2026-04-01T00:00:00.000Z');
      expect(() => command.parseTo('tomorrow')).toThrow('--to must be an ISO-8601 date or time');
      expect(command.parseFile('b', command.parseFile('a'))).toEqual(['a', 'b']);
      await command.run([], {
        from: '2026-04-01T00:00:00.000Z',
        to: '2026-04-03T00:00:00.000Z',
        dryRun: true,
      });
      expect(output.join('')).toMatch(/Review [0-9a-f-]{36} \(dry run\): completed/);
      expect(output.join('')).toMatch(/CRITICAL +credential-stuffing/);
      output.length = 0;
      await command.run([], { file: [dir] });
      // Lines written without the sink's chain: verified first, reported, still reviewed.
      expect(output.join('')).toMatch(
        /^WARNING: the files fail verification[^\n]*\nBROKEN: \S+audit-2026-04-01\.jsonl\.gz:1 inserted/,
      );
      expect(output.join('')).toContain('Offline review of 1 file');
      expect(output.join('')).toMatch(/HIGH +brute-force/);
      output.length = 0;
      await new AuditVerifyCommand(
        t.app.get(ReviewService),
        t.app.get(AuditService),
        t.app.get(AUDIT_MODULE_OPTIONS),
      ).run([]);
      expect(output.join('')).toMatch(/^OK: 0 seals verified/);
    } finally {
      write.mockRestore();
    }
  });
});

(postgresUrl ? describe : describe.skip)('the review on PostgreSQL (e2e)', () => {
  let t: TestApp;
  let schema: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    schema = await createPostgresSchema();
    t = await createTestApp({ DATABASE_URL: schema.url });
  });
  afterAll(async () => {
    await t.close();
    await schema.drop();
  });

  it('claims under the advisory lock (one of two concurrent runs), seals, and verifies', async () => {
    const script = new EventScript('2026-05-01T10:00:00.000Z');
    for (let i = 0; i < 12; i += 1) script.fail(`pg${i}`, '203.0.113.77');
    await store(t.db, script.events);
    const reviews = t.app.get(ReviewService);
    const window = {
      from: '2026-05-01T00:00:00.000Z',
      to: '2026-05-02T00:00:00.000Z',
      trigger: 'test',
    };
    // The first run holds its claim (it waits on a signal after claiming) while the second
    // asks: "concurrent" for certain, not only when the scheduler happens to interleave them.
    // Left to chance, the first run sometimes finished before the second claimed, and both
    // legitimately succeeded (issue 10, item 20).
    const repository = t.app.get(ReviewRepository);
    const range = repository.eventIdRange.bind(repository);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const claimHeld = new Promise<void>((resolve) => (holding = resolve));
    jest.spyOn(repository, 'eventIdRange').mockImplementationOnce(async (from, to) => {
      holding();
      await gate;
      return range(from, to);
    });
    const first = reviews.run(window);
    await claimHeld;
    const second = await reviews.run(window).then(
      () => undefined,
      (error: unknown) => error,
    );
    release();
    const results = await Promise.allSettled([first]);
    expect(second).toMatchObject({ code: 'REVIEW_RUNNING' });
    const done = results.filter(
      (r): r is PromiseFulfilledResult<Awaited<ReturnType<ReviewService['run']>>> =>
        r.status === 'fulfilled',
    );
    expect(done).toHaveLength(1);
    jest.restoreAllMocks();
    expect(done[0].value.findings.map((f) => f.rule)).toEqual(['password-spraying']);
    expect(done[0].value.seal?.eventCount).toBeGreaterThanOrEqual(12);

    jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(Date.parse('2026-05-03T00:00:00.000Z'));
    try {
      expect(await reviews.verifyIntegrity()).toMatchObject({
        ok: true,
        seals: 1,
        retiredSeals: 0,
      });
      const row = await t.db
        .selectFrom('audit_events')
        .select(['id', 'username'])
        .where('username', '=', 'pg3')
        .executeTakeFirstOrThrow();
      await t.db
        .updateTable('audit_events')
        .set({ username: 'someone-else' })
        .where('id', '=', row.id)
        .execute();
      expect(await reviews.verifyIntegrity()).toMatchObject({
        ok: false,
        firstBrokenSeal: { id: done[0].value.seal!.id, reason: 'event_modified' },
      });
    } finally {
      jest.restoreAllMocks();
    }
  });
});
