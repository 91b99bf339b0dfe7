import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BadLines,
  MAX_LINE_BYTES,
  readAuditFiles,
  UnreadableAuditFileError,
} from './audit-file-reader';
import type { ReviewEvent } from './review.types';

const line = (id: number): string =>
  JSON.stringify({
    id,
    ts: `2026-01-31T08:00:${String(id % 60).padStart(2, '0')}.000Z`,
    type: 'authn_login_fail',
    outcome: 'failure',
    username: `user${id}`,
    reason: 'bad_password',
    ip: '203.0.113.9',
    method: 'POST',
    path: '/auth/login',
  });

async function readAll(files: string[], bad = new BadLines()): Promise<ReviewEvent[]> {
  const events: ReviewEvent[] = [];
  for await (const page of readAuditFiles(files, bad)) events.push(...page);
  return events;
}

describe('readAuditFiles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-reader-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reviews a file with bad lines to the end, naming each by file and line', async () => {
    const file = join(dir, 'audit-bad.jsonl');
    const oversized = JSON.stringify({
      ...JSON.parse(line(5)),
      padding: 'x'.repeat(MAX_LINE_BYTES),
    });
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from(`${line(1)}\n`), // 1
        Buffer.from(`${line(2).slice(0, 40)}\n`), // 2: torn
        Buffer.from('\n'), // 3: blank, ignored
        Buffer.from('GET /health 200\n'), // 4: not JSON
        Buffer.from(`${oversized}\n`), // 5: oversized
        Buffer.from(
          '{"id":6,"ts":"2026-01-31T08:00:06.000Z","type":"authn_login_fail","username":"',
        ),
        Buffer.from([0xc3, 0x28]), // 6: not UTF-8
        Buffer.from('"}\n'),
        Buffer.from('{"hello":"world"}\n'), // 7: JSON, not an event
        Buffer.from(`${line(8)}\n`), // 8
        Buffer.from(line(9).slice(0, 30)), // 9: torn last line, no newline
      ]),
    );
    const bad = new BadLines();
    const events = await readAll([file], bad);
    expect(events.map((event) => event.id)).toEqual([1, 8]);
    expect(bad.named).toEqual([
      { file, line: 2, kind: 'torn' },
      { file, line: 4, kind: 'not-json' },
      { file, line: 5, kind: 'oversized' },
      { file, line: 6, kind: 'not-utf8' },
      { file, line: 7, kind: 'not-an-event' },
      { file, line: 9, kind: 'torn' },
    ]);
    expect(bad.count).toBe(6);
    expect(bad.byKind).toEqual({
      torn: 2,
      'not-json': 1,
      oversized: 1,
      'not-utf8': 1,
      'not-an-event': 1,
    });
  });

  it('counts an oversized line that spans read chunks once, and keeps the line numbers', async () => {
    const file = join(dir, 'audit-huge.jsonl');
    const huge = 'y'.repeat(3 * 1024 * 1024);
    await writeFile(file, `${line(1)}\n${huge}\n${line(3)}\n`);
    const bad = new BadLines();
    const events = await readAll([file], bad);
    expect(events.map((event) => event.id)).toEqual([1, 3]);
    expect(bad.named).toEqual([{ file, line: 2, kind: 'oversized' }]);
  });

  it('reads gzipped files like plain ones, in the order given', async () => {
    const plain = join(dir, 'audit-2026-01-30.jsonl');
    const gz = join(dir, 'audit-2026-01-31.jsonl.gz');
    await writeFile(plain, `${line(1)}\n${line(2)}\n`);
    await writeFile(gz, gzipSync(`${line(3)}\n${line(4)}\n`));
    expect((await readAll([plain, gz])).map((event) => event.id)).toEqual([1, 2, 3, 4]);
  });

  it('stops on a file it cannot read, saying which', async () => {
    const missing = join(dir, 'audit-missing.jsonl');
    await expect(readAll([missing])).rejects.toThrow(UnreadableAuditFileError);
    await expect(readAll([missing])).rejects.toThrow(`cannot read ${missing}`);
  });
});
