import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { behavesAsAuditSink } from '../testing';
import type { AuditEvent } from './audit-event';
import { AuditFileSink } from './audit-file.sink';

describe('AuditFileSink (audit sink contract)', () => {
  const dirs = new Map<AuditFileSink, string>();

  behavesAsAuditSink<AuditFileSink>({
    create: () => {
      const dir = mkdtempSync(join(tmpdir(), 'audit-sink-contract-'));
      const sink = new AuditFileSink({ logDir: dir, retentionDays: 7 });
      dirs.set(sink, dir);
      return Promise.resolve(sink);
    },
    received: async (sink) => {
      await sink.close();
      const dir = dirs.get(sink)!;
      return readdirSync(dir)
        .filter((name) => name.endsWith('.jsonl'))
        .sort()
        .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean))
        .map((line) => JSON.parse(line) as AuditEvent);
    },
    dispose: async (sink) => {
      await sink.close();
      rmSync(dirs.get(sink)!, { recursive: true, force: true });
      dirs.delete(sink);
    },
  });
});
