import { Injectable, Logger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresSchema, postgresUrl } from '../../../test/support/database';
import { EventScript, toAuditEvents } from '../../../test/support/review-events';
import { Clock } from '../../common';
import type { Kysely } from 'kysely';
import { DatabaseModule, DB, KYSELY } from '../../database';
import { ManualClock } from '../../testing';
import { AuditModule } from '../audit.module';
import { AuditRepository } from '../audit.repository';
import { BlocksService } from '../blocks/blocks.service';
import { SessionRevoker } from '../session-revoker.port';
import { AuditSealService } from './audit-seal.service';
import { ReviewDetector } from './review-detector.decorator';
import { DEFAULT_REVIEW_THRESHOLDS } from './review.options';
import { ReviewModule } from './review.module';
import { ReviewService } from './review.service';
import type { DetectorPass, ReviewDetectorRule, ReviewEvent } from './review.types';

/*
 * The review's rules on a real database with the real repositories and services (immich's
 * "medium" tier): only the session revoker (auth's port) is a fake, and the clock is moved by
 * the test. A detector of this spec turns every failed login into a finding with measures, so
 * what the service does with findings is visible whatever the built-in thresholds are.
 */

@Injectable()
class RecordingRevoker extends SessionRevoker {
  readonly calls: string[] = [];
  revokeAllForUsername(username: string): Promise<number> {
    this.calls.push(username);
    return Promise.resolve(1);
  }
}

@Injectable()
@ReviewDetector()
class EveryFailureDetector implements ReviewDetectorRule {
  readonly rule = 'spec-every-failure';
  readonly description = 'One finding per IP with a failed login';
  start(): DetectorPass {
    const byIp = new Map<string, ReviewEvent[]>();
    return {
      observe: (event) => {
        if (event.outcome !== 'failure') return;
        byIp.set(event.ip, [...(byIp.get(event.ip) ?? []), event]);
      },
      findings: () =>
        [...byIp].map(([ip, events]) => ({
          rule: this.rule,
          severity: 'high' as const,
          subjectKind: 'ip' as const,
          subject: ip,
          evidence: { failures: events.length },
          firstSeen: events[0].ts,
          lastSeen: events[events.length - 1].ts,
          sampleEventIds: events.map((e) => e.id).slice(0, 10),
          measures: [
            { kind: 'block_ip' as const, ip },
            { kind: 'revoke_sessions' as const, username: events[0].username ?? '' },
          ],
        })),
    };
  }
}

const dialects: [string, boolean][] = [
  ['sqlite', true],
  ['postgres', Boolean(postgresUrl)],
];

for (const [dialect, enabled] of dialects) {
  (enabled ? describe : describe.skip)(
    `ReviewService on a real database [${dialect}${enabled ? '' : ': skipped, TEST_POSTGRES_URL not set'}]`,
    () => {
      let dir: string;
      let dropSchema: (() => Promise<void>) | undefined;
      let moduleRef: TestingModule;
      let clock: ManualClock;
      let script: EventScript;

      beforeEach(async () => {
        jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
        dir = mkdtempSync(join(tmpdir(), 'review-service-'));
        let url = 'sqlite::memory:';
        if (dialect === 'postgres') {
          const schema = await createPostgresSchema();
          url = schema.url;
          dropSchema = schema.drop;
        }
        const audit = AuditModule.forRootAsync({
          useFactory: () => ({
            sealKey: randomBytes(48).toString('base64url'),
            logDir: join(dir, 'audit'),
            fileSink: false,
            retentionDays: 30,
            review: {
              enabled: false,
              timeZone: 'UTC',
              reportDir: join(dir, 'reports'),
              thresholds: DEFAULT_REVIEW_THRESHOLDS,
              ipBlockBase: 900,
              ipBlockMax: 86_400,
              accountLock: 1800,
            },
          }),
        });
        clock = new ManualClock(Date.parse('2027-01-31T23:00:00.000Z'));
        moduleRef = await Test.createTestingModule({
          imports: [
            DatabaseModule.forRoot({ url, timeoutMs: 5000, poolSize: 2 }),
            audit,
            ReviewModule.forRoot({
              imports: [audit],
              sessionRevoker: RecordingRevoker,
              detectors: [EveryFailureDetector],
            }),
          ],
        })
          .overrideProvider(Clock)
          .useValue(clock)
          .compile();
        await moduleRef.init();
        // Two attacking IPs and an honest user, during the day before the 23:00 run.
        script = new EventScript('2027-01-31T08:00:00.000Z');
        script.succeed('cy', '192.0.2.50');
        script.fail('ann', '198.51.100.7');
        script.fail('ann', '198.51.100.7');
        script.fail('bob', '203.0.113.9');
        const repository = moduleRef.get(AuditRepository);
        for (const event of toAuditEvents(script.events)) await repository.insert(event);
      });

      afterEach(async () => {
        await moduleRef.close();
        await dropSchema?.();
        dropSchema = undefined;
        rmSync(dir, { recursive: true, force: true });
        jest.restoreAllMocks();
      });

      const revoked = (): string[] =>
        moduleRef.get<SessionRevoker, RecordingRevoker>(SessionRevoker, { strict: false }).calls;
      const auditTypes = async (): Promise<string[]> =>
        (
          await moduleRef
            .get<Kysely<DB>>(KYSELY)
            .selectFrom('audit_events')
            .select('type')
            .orderBy('id')
            .execute()
        ).map((row) => row.type);

      it('acts on nothing in a dry run: no block, no revocation, no audit event, no seal', async () => {
        const before = await auditTypes();
        const run = await moduleRef.get(ReviewService).run({ trigger: 'test', dryRun: true });
        expect(run.findings.map((f) => f.subject).sort()).toEqual(['198.51.100.7', '203.0.113.9']);
        expect(run).toMatchObject({ dryRun: true, measures: [], seal: null, status: 'completed' });
        expect(await moduleRef.get(BlocksService).list(10)).toEqual([]);
        expect(revoked()).toEqual([]);
        expect(await auditTypes()).toEqual(before);
        expect(await moduleRef.get(AuditSealService).verify()).toMatchObject({
          seals: 0,
          sealedThrough: null,
        });
        // The report still names what was found.
        const report = readFileSync(run.reportPath!, 'utf8');
        expect(report).toContain('(dry run: no measures taken)');
        expect(report).toContain('203.0.113.9');
        // Nor does a dry run move the scheduled window: the next run reviews the same events.
        const next = await moduleRef.get(ReviewService).run({ trigger: 'test' });
        expect(next.eventsReviewed).toBe(run.eventsReviewed);
      });

      it('acts on each finding, audits it, seals the events and reports it', async () => {
        const run = await moduleRef.get(ReviewService).run({ trigger: 'test' });
        expect(run.eventsReviewed).toBe(4);
        expect(run.window.to).toBe(new Date(clock.now()).toISOString());
        expect(run.measures.map((m) => [m.kind, m.target, m.result])).toEqual([
          ['block_ip', '198.51.100.7', 'applied'],
          ['revoke_sessions', 'ann', 'applied'],
          ['block_ip', '203.0.113.9', 'applied'],
          ['revoke_sessions', 'bob', 'applied'],
        ]);
        const blocks = await moduleRef.get(BlocksService).list(10, undefined, clock.now());
        expect(blocks.map((b) => [b.subject, b.expiresAt])).toEqual(
          expect.arrayContaining([
            ['198.51.100.7', new Date(clock.now() + 900_000).toISOString()],
            ['203.0.113.9', new Date(clock.now() + 900_000).toISOString()],
          ]),
        );
        expect(revoked()).toEqual(['ann', 'bob']);
        const types = await auditTypes();
        expect(types.filter((t) => t === 'review_finding')).toHaveLength(2);
        expect(types).toContain('review_completed');
        expect(types.filter((t) => t === 'ip_blocked')).toHaveLength(2);
        expect(run.seal).toMatchObject({ firstEventId: 1, lastEventId: 4, eventCount: 4 });
        expect(await moduleRef.get(AuditSealService).verify()).toMatchObject({
          ok: true,
          seals: 1,
        });
        const report = readFileSync(run.reportPath!, 'utf8');
        for (const finding of run.findings) expect(report).toContain(finding.subject);
      });

      it('does not act twice on a window reviewed again: the findings are repeats', async () => {
        const service = moduleRef.get(ReviewService);
        const first = await service.run({ trigger: 'test' });
        clock.advance(60_000);
        const again = await service.run({
          trigger: 'test',
          from: first.window.from,
          to: first.window.to,
        });
        expect(again.findings).toHaveLength(2);
        for (const finding of again.findings) {
          expect(first.findings.map((f) => f.id)).toContain(finding.repeatOf);
        }
        expect(again.measures).toEqual([]);
        expect(revoked()).toEqual(['ann', 'bob']);
      });

      it('reviews only up to the clock: a later scheduled run starts where the last one ended', async () => {
        const service = moduleRef.get(ReviewService);
        const first = await service.run({ trigger: 'test' });
        clock.advance(86_400_000);
        const second = await service.run({ trigger: 'test' });
        expect(second.window).toEqual({
          from: first.window.to,
          to: new Date(clock.now()).toISOString(),
        });
        expect(second.eventsReviewed).toBe(0);
        expect(existsSync(second.reportPath!)).toBe(true);
      });
    },
  );
}
