import { Logger } from '@nestjs/common';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describeEachDialect, truncateAll } from '../../test/support/database';
import { failedLoginFields } from '../testing';
import type { AuditEvent } from './audit-event';
import {
  fileChainKey,
  FILE_CHAIN_GENESIS,
  parseChainedLine,
  verifyAuditFiles,
} from './audit-file-chain';
import { AuditFileSink } from './audit-file.sink';
import { KyselyAuditRepository } from './audit.repository';

const SEAL_KEY = 'file-chain-spec-seal-key-0123456789abcdefghij';
const KEY = fileChainKey(SEAL_KEY);

function event(id: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id,
    ...failedLoginFields({ ts: new Date().toISOString(), requestId: `req-${id}` }),
    ...overrides,
  };
}

/** Polls an assertion (the rotation library's gzip finishes when the machine lets it). */
async function eventually(assertion: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const today = (): string => new Date().toISOString().slice(0, 10);
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(0, -1);
const rewrite = (file: string, content: string[]): void =>
  writeFileSync(file, content.length > 0 ? `${content.join('\n')}\n` : '');

describe('JSON-lines MAC chain', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-chain-'));
    file = join(dir, `audit-${today()}.jsonl`);
    const sink = new AuditFileSink({ logDir: dir, retentionDays: 7, sealKey: SEAL_KEY });
    for (let id = 1; id <= 6; id += 1) sink.write(event(id));
    await sink.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives each line the event JSON plus prev and mac, chained from the genesis; verifies', async () => {
    const text = lines(file);
    expect(text).toHaveLength(6);
    const parsed = text.map((line) => parseChainedLine(line)!);
    // Stripped of the chain members, the line is byte for byte the database row's JSON.
    const first = JSON.parse(parsed[0].eventJson) as AuditEvent;
    expect(parsed[0].eventJson).toBe(AuditFileSink.line(event(1, { ts: first.ts })));
    expect(parsed[0].prev).toBe(FILE_CHAIN_GENESIS);
    for (let i = 1; i < parsed.length; i += 1) expect(parsed[i].prev).toBe(parsed[i - 1].mac);
    expect(JSON.parse(text[2])).toMatchObject({ id: 3, mac: parsed[2].mac });
    expect(await verifyAuditFiles([file], KEY)).toMatchObject({
      ok: true,
      lines: 6,
      problem: null,
      startsMidChain: false,
    });
    // Another key (another AUDIT_SEAL_KEY) does not verify them.
    expect((await verifyAuditFiles([file], fileChainKey(`${SEAL_KEY}x`))).problem?.kind).toBe(
      'edited',
    );
  });

  it('names a deleted line', async () => {
    const text = lines(file);
    rewrite(file, [...text.slice(0, 2), ...text.slice(3)]);
    expect((await verifyAuditFiles([file], KEY)).problem).toMatchObject({
      file,
      line: 3,
      kind: 'deleted',
    });
  });

  it('names a rewritten username', async () => {
    const text = lines(file);
    text[3] = text[3].replace('"username":"alice"', '"username":"bob"');
    rewrite(file, text);
    expect((await verifyAuditFiles([file], KEY)).problem).toMatchObject({
      line: 4,
      kind: 'edited',
    });
  });

  it('names an appended forged event, bare or with a made-up chain', async () => {
    const text = lines(file);
    rewrite(file, [...text, AuditFileSink.line(event(7))]);
    expect((await verifyAuditFiles([file], KEY)).problem).toMatchObject({
      line: 7,
      kind: 'inserted',
    });
    const last = parseChainedLine(text[5])!;
    const forged = `${AuditFileSink.line(event(7)).slice(0, -1)},"prev":"${last.mac}","mac":"${'a'.repeat(32)}"}`;
    rewrite(file, [...text, forged]);
    expect((await verifyAuditFiles([file], KEY)).problem).toMatchObject({
      line: 7,
      kind: 'edited',
    });
  });

  it('names reordered lines, and a duplicated genuine line', async () => {
    const text = lines(file);
    rewrite(file, [text[0], text[1], text[3], text[2], text[4], text[5]]);
    expect((await verifyAuditFiles([file], KEY)).problem).toMatchObject({
      line: 3,
      kind: 'reordered',
    });
    rewrite(file, [text[0], text[1], text[1], ...text.slice(2)]);
    expect((await verifyAuditFiles([file], KEY)).problem).toMatchObject({
      line: 3,
      kind: 'inserted',
    });
  });

  it('continues the chain from the last line when the sink restarts', async () => {
    const sink = new AuditFileSink({ logDir: dir, retentionDays: 7, sealKey: SEAL_KEY });
    sink.write(event(7));
    await sink.close();
    const text = lines(file);
    expect(parseChainedLine(text[6])!.prev).toBe(parseChainedLine(text[5])!.mac);
    expect(await verifyAuditFiles([file], KEY)).toMatchObject({ ok: true, lines: 7 });
  });
});

describe('JSON-lines MAC chain across rotation', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-chain-rotation-'));
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });
  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('links the first line of a new day to the last of the previous one; the set verifies', async () => {
    const days = ['2026-03-01', '2026-03-02', '2026-03-03'];
    jest.setSystemTime(new Date(`${days[0]}T12:00:00.000Z`));
    const sink = new AuditFileSink({ logDir: dir, retentionDays: 30, sealKey: SEAL_KEY });
    let id = 0;
    for (const day of days) {
      jest.setSystemTime(new Date(`${day}T12:00:00.000Z`));
      for (let n = 0; n < 3; n += 1) {
        id += 1;
        sink.write(event(id, { ts: `${day}T12:00:0${n}.000Z` }));
      }
      // Lets the rotation (and its gzip of the previous day) run.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await sink.close();
    const names = [
      'audit-2026-03-01.jsonl.gz',
      'audit-2026-03-02.jsonl.gz',
      'audit-2026-03-03.jsonl',
    ];
    // The library gzips a finished day in the background: wait for both archives to be whole.
    await eventually(() => {
      expect(
        readdirSync(dir)
          .filter((name) => name.startsWith('audit-'))
          .sort(),
      ).toEqual(names);
      for (const name of names.slice(0, 2)) gunzipSync(readFileSync(join(dir, name)));
    });
    const files = names.map((name) => join(dir, name));
    const first = gunzipSync(readFileSync(files[0])).toString('utf8').split('\n');
    const second = gunzipSync(readFileSync(files[1])).toString('utf8').split('\n');
    expect(parseChainedLine(second[0])!.prev).toBe(parseChainedLine(first[2])!.mac);
    expect(await verifyAuditFiles(files, KEY)).toMatchObject({ ok: true, lines: 9 });
    // Only the newer files: the chain starts mid-way, which is said, not a failure.
    expect(await verifyAuditFiles(files.slice(1), KEY)).toMatchObject({
      ok: true,
      startsMidChain: true,
    });
    // The middle day emptied: the next day's first line links to a line that is gone.
    writeFileSync(files[1], '');
    expect((await verifyAuditFiles(files, KEY)).problem).toMatchObject({
      file: files[2],
      line: 1,
      kind: 'deleted',
    });
  });
});

describeEachDialect('JSON-lines MAC chain against the database', (database) => {
  let dir: string;
  let file: string;
  let repository: KyselyAuditRepository;
  let logs: jest.SpyInstance;
  const eventsAfter = (afterId: number, limit: number, filter: { from: string; to: string }) =>
    repository.listAfterId(afterId, limit, filter);

  /** Records like AuditService: the row first, then the sink. */
  async function record(
    sink: AuditFileSink | undefined,
    n: number,
    ts: string,
  ): Promise<AuditEvent> {
    const { id: _id, ...fields } = event(0, { ts, requestId: `req-${n}` });
    const stored = { id: await repository.insert(fields), ...fields };
    sink?.write(stored);
    return stored;
  }

  beforeEach(async () => {
    await truncateAll(database().db);
    repository = new KyselyAuditRepository(database().db);
    dir = mkdtempSync(join(tmpdir(), 'audit-chain-db-'));
    file = join(dir, `audit-${today()}.jsonl`);
    logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    logs.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('detects a truncated tail and a file emptied to 0 bytes, against the database', async () => {
    const sink = new AuditFileSink({ logDir: dir, retentionDays: 7, sealKey: SEAL_KEY });
    const old = new Date(Date.now() - 60_000).toISOString();
    for (let n = 1; n <= 5; n += 1) await record(sink, n, old);
    await sink.close();
    const later = Date.now() + 10_000;
    expect(await verifyAuditFiles([file], KEY, { eventsAfter, now: later })).toMatchObject({
      ok: true,
      tail: 'checked against the database',
    });
    const text = lines(file);
    rewrite(file, text.slice(0, 3));
    expect(
      (await verifyAuditFiles([file], KEY, { eventsAfter, now: later })).problem,
    ).toMatchObject({ file, line: 3, kind: 'truncated' });
    // Without the database, the cut tail is not visible, and the output says the tail was not checked.
    expect(await verifyAuditFiles([file], KEY)).toMatchObject({
      ok: true,
      tail: 'not checked (no database)',
    });
    rewrite(file, []);
    expect(
      (await verifyAuditFiles([file], KEY, { eventsAfter, now: later })).problem,
    ).toMatchObject({ file, line: 0, kind: 'truncated' });
  });

  it('after a crash between the commit and the file write, appends what the file lacks on start; each event once, in order, verifying', async () => {
    const ts = () => new Date().toISOString();
    const first = new AuditFileSink({ logDir: dir, retentionDays: 7, sealKey: SEAL_KEY });
    for (let n = 1; n <= 3; n += 1) await record(first, n, ts());
    await first.close();
    // The crash: three rows committed, never written to the file.
    const lost: AuditEvent[] = [];
    for (let n = 4; n <= 6; n += 1) lost.push(await record(undefined, n, ts()));

    const restarted = new AuditFileSink({ logDir: dir, retentionDays: 7, sealKey: SEAL_KEY });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let live: AuditEvent | undefined;
    const catchingUp = restarted.catchUp(async (afterId, limit) => {
      // A live event arrives while the catch-up reads: it must follow, once.
      if (!live) {
        live = await record(restarted, 7, ts());
        release();
      }
      await gate;
      return repository.listAfterId(afterId, limit);
    });
    expect(await catchingUp).toBe(4);
    await restarted.close();

    const ids = lines(file).map((line) => (JSON.parse(line) as { id: number }).id);
    const all = (await repository.listAfterId(0, 100)).map((e) => e.id);
    expect(ids).toEqual(all);
    expect(new Set(ids).size).toBe(7);
    expect(lost.every((e) => ids.includes(e.id))).toBe(true);
    expect(
      await verifyAuditFiles([file], KEY, { eventsAfter, now: Date.now() + 10_000 }),
    ).toMatchObject({ ok: true, lines: 7 });
  });
});
