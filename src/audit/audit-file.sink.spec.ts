import { Logger } from '@nestjs/common';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { failedLoginFields } from '../testing';
import type { AuditEvent } from './audit-event';
import { AuditFileSink } from './audit-file.sink';

function event(id: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id,
    ...failedLoginFields({ requestId: `req-${id}`, details: { attempt: id } }),
    ...overrides,
  };
}

function todaysFile(dir: string): string {
  return join(dir, `audit-${new Date().toISOString().slice(0, 10)}.jsonl`);
}

/** Fake timers for `Date` only: the test sets the time; timers and I/O stay real. */
const ALL_BUT_DATE: FakeableAPI[] = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
];

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries an assertion until it holds (file streams and gzip finish when the machine lets them). */
async function eventually(assertion: () => void, timeoutMs = 5000): Promise<void> {
  // performance.now(): Date may be fake (and standing still) in these tests.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await wait(20);
    }
  }
}

describe('AuditFileSink', () => {
  let dir: string;
  let errors: jest.SpyInstance;
  let logs: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-sink-'));
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.useRealTimers();
    errors.mockRestore();
    logs.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each event as one line, the exact JSON of the database row, in audit-YYYY-MM-DD.jsonl', async () => {
    const sink = new AuditFileSink({ logDir: join(dir, 'nested', 'audit'), retentionDays: 7 });
    const first = event(1, { details: undefined, username: undefined, reason: undefined });
    // Keys handed over in a scrambled order still come out in the API.md order.
    const { path, ...rest } = event(2, { userAgent: 'x\\u000aforged' });
    const second: AuditEvent = { path, ...rest };
    sink.write(first);
    sink.write(second);
    await sink.close();

    const text = readFileSync(todaysFile(join(dir, 'nested', 'audit')), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toEqual([
      '{"id":1,"ts":"2026-01-31T23:00:00.000Z","type":"authn_login_fail","level":"WARN","outcome":"failure","ip":"203.0.113.7","userAgent":"curl/8.5","requestId":"req-1","method":"POST","path":"/auth/login"}',
      '{"id":2,"ts":"2026-01-31T23:00:00.000Z","type":"authn_login_fail","level":"WARN","outcome":"failure","username":"alice","reason":"bad_password","ip":"203.0.113.7","userAgent":"x\\\\u000aforged","requestId":"req-2","method":"POST","path":"/auth/login","details":{"attempt":2}}',
    ]);
    expect(JSON.parse(lines[1])).toEqual(second);
    expect(sink.isHealthy()).toBe(true);
    expect(errors).not.toHaveBeenCalled();
  });

  it('keeps only audit-*.jsonl files and its rotation state in the folder, readable by owner and group only', async () => {
    const sink = new AuditFileSink({ logDir: dir, retentionDays: 3 });
    sink.write(event(1));
    await sink.close();
    const names = readdirSync(dir).sort();
    expect(names).toEqual([
      '.rotation-state.json',
      `audit-${new Date().toISOString().slice(0, 10)}.jsonl`,
    ]);
    const rotation = JSON.parse(readFileSync(join(dir, '.rotation-state.json'), 'utf8')) as {
      keep: unknown;
    };
    // Retention is AUDIT_RETENTION_DAYS as days, as the rotation library reads it.
    expect(rotation.keep).toEqual({ days: true, amount: 3 });
    expect(statSync(todaysFile(dir)).mode & 0o037).toBe(0);
  });

  it('reports unhealthy and logs once when its folder cannot be created, and never throws', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, '');
    const sink = new AuditFileSink({
      logDir: join(blocker, 'audit'),
      retentionDays: 7,
      retryAfterMs: 0,
    });
    expect(sink.isHealthy()).toBe(false);
    for (let id = 1; id <= 5; id++) expect(() => sink.write(event(id))).not.toThrow();
    await wait(20);
    expect(sink.isHealthy()).toBe(false);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0][0])).toMatch(
      /Audit file sink failed; events are still stored in the database/,
    );
    await sink.close();
  });

  it('survives a full disk (ENOSPC on write): unhealthy, logged once, no crash; recovers once writable again', async () => {
    // The retry delay passes when the test moves the time, not while a busy machine writes.
    jest.useFakeTimers({ doNotFake: ALL_BUT_DATE });
    const file = todaysFile(dir);
    symlinkSync('/dev/full', file);
    const sink = new AuditFileSink({
      logDir: dir,
      retentionDays: 7,
      retryAfterMs: 50,
      recoveryQuietMs: 50,
    });
    for (let id = 1; id <= 20; id++) sink.write(event(id));
    await eventually(() => expect(errors).toHaveBeenCalledTimes(1));
    expect(sink.isHealthy()).toBe(false);
    for (let id = 21; id <= 40; id++) {
      sink.write(event(id));
      await wait(5);
    }
    expect(sink.isHealthy()).toBe(false);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0][0])).toMatch(/ENOSPC/);

    // Space again: the next write after the retry delay reopens the file and the sink recovers.
    rmSync(file);
    jest.setSystemTime(Date.now() + 60);
    sink.write(event(41));
    await eventually(() => expect(sink.isHealthy()).toBe(true));
    expect(logs).toHaveBeenCalledWith('Audit file sink recovered');
    await sink.close();
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`${AuditFileSink.line(event(41))}\n`);
    expect(errors).toHaveBeenCalledTimes(1);
  });
});

describe('AuditFileSink rotation', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-rotation-'));
    // Only the clock moves; timers and I/O stay real so gzip streams can run.
    jest.useFakeTimers({ doNotFake: ALL_BUT_DATE });
  });

  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a new file each UTC day, gzips the previous one, and deletes files past the retention', async () => {
    const days = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'];
    jest.setSystemTime(new Date(`${days[0]}T12:00:00.000Z`));
    const sink = new AuditFileSink({ logDir: dir, retentionDays: 2 });
    for (const [index, day] of days.entries()) {
      jest.setSystemTime(new Date(`${day}T23:59:59.000Z`));
      sink.write(event(index + 1, { ts: `${day}T23:59:59.000Z` }));
      await wait(50);
    }
    await sink.close();

    // Two days kept by retention (the current file plus the newest gzipped one).
    await eventually(() =>
      expect(
        readdirSync(dir)
          .filter((name) => name.startsWith('audit-'))
          .sort(),
      ).toEqual(['audit-2026-03-04.jsonl.gz', 'audit-2026-03-05.jsonl']),
    );
    const zipped = gunzipSync(readFileSync(join(dir, 'audit-2026-03-04.jsonl.gz'))).toString(
      'utf8',
    );
    expect(zipped).toBe(`${AuditFileSink.line(event(4, { ts: '2026-03-04T23:59:59.000Z' }))}\n`);
  });

  it('survives a rotation whose folder cannot be created (thrown inside winston): logged once, unhealthy', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const logDir = join(dir, 'parent', 'audit');
      jest.setSystemTime(new Date('2026-03-01T12:00:00.000Z'));
      const sink = new AuditFileSink({ logDir, retentionDays: 7, retryAfterMs: 60_000 });
      sink.write(event(1));
      await wait(50);
      // Overnight the folder's parent becomes a file: the rotation's mkdir throws synchronously.
      rmSync(join(dir, 'parent'), { recursive: true, force: true });
      writeFileSync(join(dir, 'parent'), '');
      jest.setSystemTime(new Date('2026-03-02T00:00:01.000Z'));
      for (let id = 2; id <= 6; id++) expect(() => sink.write(event(id))).not.toThrow();
      await eventually(() => expect(errors).toHaveBeenCalledTimes(1));
      expect(sink.isHealthy()).toBe(false);
      expect(String(errors.mock.calls[0][0])).toMatch(/ENOTDIR/);
      await sink.close();
    } finally {
      errors.mockRestore();
    }
  });
});
