import { Logger } from '@nestjs/common';
import { runWithRequestContext } from '../common';
import type { AuditEvent } from './audit-event';
import { AuditEventFilter, AuditRepository } from './audit.repository';
import { AuditSink } from './audit-sink';
import { AUDIT_EVENTS_CURSOR, AuditService, PRUNE_BATCH_SIZE } from './audit.service';

const SEAL_KEY = 'k'.repeat(48);

/** An in-memory AuditRepository whose insert can be held open, to watch what waits for it. */
class FakeAuditRepository extends AuditRepository {
  readonly rows: AuditEvent[] = [];
  readonly deleteCalls: { before: string; batchSize: number }[] = [];
  deleteResults: number[] = [];
  holdInserts = false;
  failInserts = false;
  private readonly held: (() => void)[] = [];

  async insert(event: Omit<AuditEvent, 'id'>): Promise<number> {
    if (this.failInserts) throw new Error('database is down');
    if (this.holdInserts) await new Promise<void>((resolve) => this.held.push(resolve));
    const id = this.rows.length + 1;
    this.rows.push({ id, ...event });
    return id;
  }

  commitHeld(): void {
    for (const release of this.held.splice(0)) release();
  }

  list(_filter: AuditEventFilter, limit: number, beforeId?: number): Promise<AuditEvent[]> {
    const newestFirst = [...this.rows]
      .reverse()
      .filter((row) => beforeId === undefined || row.id < beforeId);
    return Promise.resolve(newestFirst.slice(0, limit));
  }

  listAfterId(): Promise<AuditEvent[]> {
    return Promise.resolve([]);
  }

  deleteOlderThan(before: string, batchSize: number): Promise<number> {
    this.deleteCalls.push({ before, batchSize });
    return Promise.resolve(this.deleteResults.shift() ?? 0);
  }

  count(): Promise<number> {
    return Promise.resolve(this.rows.length);
  }
}

class RecordingSink extends AuditSink {
  readonly name: string;
  readonly received: AuditEvent[] = [];
  constructor(
    name: string,
    private readonly behaviour: 'ok' | 'throw' | 'reject' = 'ok',
  ) {
    super();
    this.name = name;
  }
  write(event: AuditEvent): void | Promise<void> {
    this.received.push(event);
    if (this.behaviour === 'throw') throw new Error('disk full');
    if (this.behaviour === 'reject') return Promise.reject(new Error('remote sink down'));
  }
  isHealthy(): boolean {
    return this.behaviour === 'ok';
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AuditService', () => {
  let repository: FakeAuditRepository;
  let errors: jest.SpyInstance;

  const service = (sinks: AuditSink[] = [], sealKey = SEAL_KEY): AuditService =>
    new AuditService(
      repository,
      { sealKey, logDir: '/unused', fileSink: false, retentionDays: 90 },
      sinks,
    );

  beforeEach(() => {
    repository = new FakeAuditRepository();
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('record', () => {
    it('resolves only after the row is committed, and only then hands the event to the sinks', async () => {
      const sink = new RecordingSink('file');
      repository.holdInserts = true;
      let resolved = false;
      const recording = service([sink])
        .record({ type: 'authn_login_fail', outcome: 'failure', reason: 'bad_password' })
        .then((event) => {
          resolved = true;
          return event;
        });
      await flush();
      expect(resolved).toBe(false);
      expect(sink.received).toHaveLength(0);

      repository.commitHeld();
      const event = await recording;
      expect(resolved).toBe(true);
      expect(repository.rows).toHaveLength(1);
      expect(event).toEqual(repository.rows[0]);
      expect(sink.received).toEqual([event]);
    });

    it('rejects when the row cannot be stored, so a caller never answers an unrecorded attempt', async () => {
      const sink = new RecordingSink('file');
      repository.failInserts = true;
      await expect(
        service([sink]).record({ type: 'authn_login_fail', outcome: 'failure' }),
      ).rejects.toThrow('database is down');
      expect(sink.received).toHaveLength(0);
    });

    it('stores a keyed sessionRef, never the raw session id', async () => {
      const sessionId = '3f2c9a4e-1b7d-4c55-9e0a-7d1f00c0ffee';
      const audit = service();
      const event = await audit.record({ type: 'session_logout', outcome: 'success', sessionId });

      expect(event.sessionRef).toBeDefined();
      expect(event.sessionRef).not.toBe(sessionId);
      expect(JSON.stringify(repository.rows)).not.toContain(sessionId);
      expect(JSON.stringify(repository.rows)).not.toContain(sessionId.replace(/-/g, ''));
      expect(event).not.toHaveProperty('sessionId');
      // Stable for one key (events of one session correlate), different under another key.
      expect(audit.sessionRef(sessionId)).toBe(event.sessionRef);
      expect(service([], 'z'.repeat(48)).sessionRef(sessionId)).not.toBe(event.sessionRef);
      expect(audit.sessionRef(`${sessionId}x`)).not.toBe(event.sessionRef);
    });

    it('fills request fields from the request context, and from a system context outside one', async () => {
      const audit = service();
      const inRequest = await runWithRequestContext(
        {
          requestId: 'req-42',
          ip: '203.0.113.9',
          userAgent: 'curl/8.5',
          method: 'POST',
          path: '/auth/login',
        },
        () => audit.record({ type: 'authn_login_fail', outcome: 'failure', username: 'alice' }),
      );
      expect(inRequest).toMatchObject({
        requestId: 'req-42',
        ip: '203.0.113.9',
        userAgent: 'curl/8.5',
        method: 'POST',
        path: '/auth/login',
        level: 'WARN',
      });
      expect(inRequest.ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

      const outside = await audit.record({ type: 'review_completed', outcome: 'success' });
      expect(outside).toMatchObject({ ip: '-', method: 'SYSTEM', level: 'INFO' });
      expect(outside.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('sanitises what it stores: one line whatever the input', async () => {
      const event = await service().record({
        type: 'authn_login_fail',
        outcome: 'failure',
        username: 'eve\r\n{"type":"authn_login_success"}',
        userAgent: 'x'.repeat(8192),
      });
      expect(event.username).toBe('eve\\u000d\\u000a{"type":"authn_login_success"}');
      expect(Array.from(event.userAgent)).toHaveLength(256);
      expect(repository.rows[0]).toEqual(event);
    });

    it('gives CSRF refusals and refresh-token reuse the CRITICAL level by default', async () => {
      const audit = service();
      expect((await audit.record({ type: 'malicious_csrf', outcome: 'failure' })).level).toBe(
        'CRITICAL',
      );
      expect((await audit.record({ type: 'authn_token_reuse', outcome: 'failure' })).level).toBe(
        'CRITICAL',
      );
      expect((await audit.record({ type: 'authn_login_success', outcome: 'success' })).level).toBe(
        'INFO',
      );
    });

    it('keeps the event when a sink fails, logs the failure once, and reports the sink unhealthy', async () => {
      const throwing = new RecordingSink('file', 'throw');
      const rejecting = new RecordingSink('remote', 'reject');
      const healthy = new RecordingSink('other');
      const audit = service([throwing, rejecting, healthy]);

      for (let n = 0; n < 5; n++) {
        await expect(
          audit.record({ type: 'authn_login_fail', outcome: 'failure' }),
        ).resolves.toMatchObject({ id: n + 1 });
      }
      await flush();
      expect(repository.rows).toHaveLength(5);
      expect(healthy.received).toHaveLength(5);
      expect(errors).toHaveBeenCalledTimes(2);
      expect(errors.mock.calls.map((call) => String(call[0]))).toEqual([
        expect.stringContaining('Audit sink "file" failed; events stay in the database: disk full'),
        expect.stringContaining('Audit sink "remote" failed'),
      ]);
      expect(audit.sinkHealth()).toEqual({ file: false, remote: false, other: true });
    });
  });

  describe('list', () => {
    it('returns a page and the cursor of the next, none on the last page', async () => {
      const audit = service();
      for (let n = 0; n < 5; n++)
        await audit.record({ type: 'authn_login_fail', outcome: 'failure' });
      const first = await audit.list({}, 2);
      expect(first.items.map((event) => event.id)).toEqual([5, 4]);
      expect(AUDIT_EVENTS_CURSOR.decode(first.nextCursor!)).toBe(4);
      const second = await audit.list({}, 3, first.nextCursor!);
      expect(second.items.map((event) => event.id)).toEqual([3, 2, 1]);
      expect(second.nextCursor).toBeNull();
    });
  });

  describe('pruneOlderThan', () => {
    it('deletes in bounded batches with one cutoff until a batch comes back short', async () => {
      repository.deleteResults = [PRUNE_BATCH_SIZE, PRUNE_BATCH_SIZE, 1234];
      const now = Date.parse('2026-03-31T12:00:00.000Z');
      await expect(service().pruneOlderThan(30, undefined, now)).resolves.toBe(
        2 * PRUNE_BATCH_SIZE + 1234,
      );
      expect(repository.deleteCalls).toEqual([
        { before: '2026-03-01T12:00:00.000Z', batchSize: 5000 },
        { before: '2026-03-01T12:00:00.000Z', batchSize: 5000 },
        { before: '2026-03-01T12:00:00.000Z', batchSize: 5000 },
      ]);
    });

    it('applies AUDIT_RETENTION_DAYS with pruneExpired', async () => {
      const now = Date.parse('2026-03-31T12:00:00.000Z');
      await service().pruneExpired(now);
      expect(repository.deleteCalls).toEqual([
        { before: '2025-12-31T12:00:00.000Z', batchSize: 5000 },
      ]);
    });

    it('stops after one statement when nothing is old, and refuses a retention under one day', async () => {
      await expect(service().pruneOlderThan(90)).resolves.toBe(0);
      expect(repository.deleteCalls).toHaveLength(1);
      await expect(service().pruneOlderThan(0)).rejects.toThrow(RangeError);
      await expect(service().pruneOlderThan(1.5)).rejects.toThrow(RangeError);
    });
  });
});
