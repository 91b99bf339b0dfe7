import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { AuditEvent } from './audit-event';
import { errorMessage } from '../common';

/**
 * The MAC chain of the JSON-lines audit files. Each line is the event's JSON (byte for byte the
 * database row's) with two members appended: `prev`, the MAC of the line before it (across
 * files: the first line of a new day links to the last line of the previous day), and `mac`,
 * HMAC-SHA256 over `prev`, a newline and the event's JSON, truncated to 128 bits. The key is
 * derived from AUDIT_SEAL_KEY with HKDF-SHA256 (RFC 5869) under its own label, so it is
 * neither the seal key nor any other key derived from it.
 */
export const FILE_CHAIN_GENESIS = '0'.repeat(32);
const MAC_HEX = 32;
const CHAIN_SUFFIX = /,"prev":"([0-9a-f]{32})","mac":"([0-9a-f]{32})"\}$/;
const DATED_FILE = /^audit-(\d{4}-\d{2}-\d{2})\.jsonl(\.gz)?$/;
/** How much of the newest file is read on start to find the chain's last line. */
const TAIL_BYTES = 256 * 1024;

export function fileChainKey(sealKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', sealKey, 'gatehouse', 'gatehouse:audit-file-chain:v1', 32));
}

export function lineMac(key: Buffer, prev: string, eventJson: string): string {
  return createHmac('sha256', key)
    .update(prev)
    .update('\n')
    .update(eventJson)
    .digest('hex')
    .slice(0, MAC_HEX);
}

/** The file line of an event's JSON: the JSON with `prev` and `mac` as its last members. */
export function chainedLine(eventJson: string, prev: string, mac: string): string {
  return `${eventJson.slice(0, -1)},"prev":"${prev}","mac":"${mac}"}`;
}

export interface ChainedLine {
  /** The event's JSON without the chain members: what the MAC covers. */
  eventJson: string;
  prev: string;
  mac: string;
}

export function parseChainedLine(line: string): ChainedLine | undefined {
  const match = CHAIN_SUFFIX.exec(line);
  if (!match || !line.startsWith('{') || match.index === 0) return undefined;
  return { eventJson: `${line.slice(0, match.index)}}`, prev: match[1], mac: match[2] };
}

/** Where the chain stops in a folder: the last line's MAC and the highest event id near it. */
export interface ChainTail {
  mac: string;
  lastEventId: number;
}

/** The folder's `audit-YYYY-MM-DD.jsonl[.gz]` files, oldest first. */
export function datedAuditFiles(logDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    return [];
  }
  return names.filter((name) => DATED_FILE.test(name)).sort();
}

function tailText(path: string): string {
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path)).toString('utf8');
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // Drop a first line cut by the read window.
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the chain's tail on start (synchronously, once): the newest file with a chained line.
 * Undefined when the folder holds no chained line (a fresh folder, or files from before the
 * chain), in which case the chain starts at the genesis.
 */
export function readChainTail(logDir: string): ChainTail | undefined {
  const files = datedAuditFiles(logDir);
  for (let i = files.length - 1; i >= 0; i -= 1) {
    let text: string;
    try {
      text = tailText(join(logDir, files[i]));
    } catch {
      continue;
    }
    const lines = text.split('\n').filter((line) => line.length > 0);
    let tail: ChainTail | undefined;
    for (const line of lines) {
      const parsed = parseChainedLine(line);
      if (!parsed) continue;
      const id = eventIdOf(parsed.eventJson);
      tail = { mac: parsed.mac, lastEventId: Math.max(tail?.lastEventId ?? 0, id ?? 0) };
    }
    if (tail) return tail;
  }
  return undefined;
}

function eventIdOf(eventJson: string): number | undefined {
  try {
    const id = Number((JSON.parse(eventJson) as { id?: unknown }).id);
    return Number.isFinite(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

function eventOf(eventJson: string): { id?: number; ts?: string } {
  try {
    const value = JSON.parse(eventJson) as { id?: unknown; ts?: unknown };
    return {
      id: Number.isFinite(Number(value.id)) ? Number(value.id) : undefined,
      ts: typeof value.ts === 'string' ? value.ts : undefined,
    };
  } catch {
    return {};
  }
}

export type FileProblemKind = 'edited' | 'inserted' | 'deleted' | 'reordered' | 'truncated';

export interface FileProblem {
  file: string;
  /** 1-based; for `truncated`, the last line the file still has (0 when it is empty). */
  line: number;
  kind: FileProblemKind;
  message: string;
}

export interface FileVerification {
  ok: boolean;
  files: string[];
  lines: number;
  problem: FileProblem | null;
  /** The first line links to a line before the files given (older files rotated away). */
  startsMidChain: boolean;
  /** How the end of the files was checked: against the database, or why not. */
  tail: string;
}

/** The database, for the truncated-tail check: events after `afterId` with `from <= ts < to`. */
export type EventsAfter = (
  afterId: number,
  limit: number,
  filter: { from: string; to: string },
) => Promise<AuditEvent[]>;

interface LineRef {
  file: string;
  line: number;
}

async function* linesOf(
  files: string[],
  /** Where the reader is: the file it reads and the last line it yielded. */
  cursor: LineRef = { file: '', line: 0 },
): AsyncGenerator<{ file: string; line: number; text: string; fileStart: boolean }> {
  for (const file of files) {
    cursor.file = file;
    cursor.line = 0;
    // An emptied archive is no longer gzip; it holds no line, like an emptied file.
    if (file.endsWith('.gz') && statSync(file).size === 0) continue;
    const raw = createReadStream(file);
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    raw.on('error', (error) => input.destroy(error));
    const reader = createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const text of reader) {
        line += 1;
        cursor.line = line;
        yield { file, line, text, fileStart: line === 1 };
      }
    } finally {
      reader.close();
      raw.destroy();
    }
  }
}

/**
 * Verifies files (in the order given: name order is time order) and names the first edited,
 * inserted, deleted or reordered line; then, when `eventsAfter` is given, checks the tail
 * against the database: an event of the files' days that the database holds after the files'
 * last event means lines were cut from the end (or the file was emptied).
 */
export async function verifyAuditFiles(
  files: string[],
  key: Buffer,
  options: { eventsAfter?: EventsAfter; now?: number } = {},
): Promise<FileVerification> {
  let expected: string | undefined;
  let lines = 0;
  let maxId = 0;
  let startsMidChain = false;
  const lineCounts = new Map<string, number>();
  const result = (problem: FileProblem | null, tail: string): FileVerification => ({
    ok: problem === null,
    files,
    lines,
    problem,
    startsMidChain,
    tail,
  });
  const at: LineRef = { file: files[0] ?? '', line: 0 };
  try {
    for await (const { file, line, text, fileStart } of linesOf(files, at)) {
      lines += 1;
      lineCounts.set(file, line);
      const parsed = parseChainedLine(text);
      if (!parsed) {
        return result(
          {
            file,
            line,
            kind: 'inserted',
            message: 'a line without the chain MAC (not written by the sink)',
          },
          'not checked',
        );
      }
      const mac = lineMac(key, parsed.prev, parsed.eventJson);
      if (!timingSafeEqual(Buffer.from(mac), Buffer.from(parsed.mac))) {
        return result(
          {
            file,
            line,
            kind: 'edited',
            message: 'the line does not match its MAC (edited or forged)',
          },
          'not checked',
        );
      }
      if (expected === undefined) {
        startsMidChain = parsed.prev !== FILE_CHAIN_GENESIS;
      } else if (parsed.prev !== expected) {
        return result(await classify(files, { file, line }, parsed.prev, fileStart), 'not checked');
      }
      expected = parsed.mac;
      maxId = Math.max(maxId, eventOf(parsed.eventJson).id ?? 0);
    }
  } catch (error) {
    // A cut or damaged archive: readable up to the line before.
    const message = errorMessage(error);
    return result(
      { ...at, kind: 'truncated', message: `the file cannot be read past this line (${message})` },
      'not checked',
    );
  }
  for (const file of files) if (!lineCounts.has(file)) lineCounts.set(file, 0);
  if (!options.eventsAfter) return result(null, 'not checked (no database)');
  const days = files
    .map((file) => DATED_FILE.exec(basename(file))?.[1])
    .filter((day): day is string => day !== undefined)
    .sort();
  if (days.length === 0) return result(null, 'not checked (file names carry no date)');
  const now = options.now ?? Date.now();
  // A line is written right after its row commits; 5 s of slack covers that and a rotation.
  const to = new Date(
    Math.min(now, Date.parse(`${days[days.length - 1]}T00:00:00.000Z`) + 86_400_000) - 5_000,
  ).toISOString();
  const from = `${days[0]}T00:00:00.000Z`;
  let missing: AuditEvent[];
  try {
    missing = await options.eventsAfter(maxId, 100, { from, to });
  } catch (error) {
    return result(null, `not checked (database not reachable: ${errorMessage(error)})`);
  }
  // Events of CLI commands are in the database only (the CLI never writes the server's file).
  const absent = missing.find((event) => event.method !== 'CLI');
  if (absent) {
    const last = files[files.length - 1];
    return result(
      {
        file: last,
        line: lineCounts.get(last) ?? 0,
        kind: 'truncated',
        message: `the files end at event ${maxId}, but the database holds event ${absent.id} (${absent.ts}) of their days: lines were cut from the end`,
      },
      'checked against the database',
    );
  }
  return result(null, 'checked against the database');
}

/** Second pass, only on a broken link: where does the line's `prev` point? */
async function classify(
  files: string[],
  at: LineRef,
  prev: string,
  fileStart: boolean,
): Promise<FileProblem> {
  const positions: LineRef[] = [];
  let index = 0;
  let atIndex = -1;
  let previousLinePrev: string | undefined;
  let lastPrev: string | undefined;
  for await (const { file, line, text } of linesOf(files)) {
    const parsed = parseChainedLine(text);
    if (file === at.file && line === at.line) {
      atIndex = index;
      previousLinePrev = lastPrev;
    }
    if (parsed?.mac === prev) positions.push({ file, line });
    lastPrev = parsed?.prev;
    index += 1;
    if (parsed?.mac === prev && atIndex !== -1) break;
  }
  const target = positions[positions.length - 1];
  if (!target) {
    return {
      ...at,
      kind: 'deleted',
      message: fileStart
        ? 'lines are missing before this line (deleted, or the previous file was cut short)'
        : 'lines are missing before this line (deleted)',
    };
  }
  const after =
    files.indexOf(target.file) > files.indexOf(at.file) ||
    (target.file === at.file && target.line > at.line);
  if (after)
    return {
      ...at,
      kind: 'reordered',
      message: `the line belongs after line ${target.line} of ${target.file}`,
    };
  if (previousLinePrev === prev) {
    return {
      ...at,
      kind: 'inserted',
      message: 'a copy of a genuine line: the line before has the same link',
    };
  }
  return {
    ...at,
    kind: 'reordered',
    message: `the line belongs right after line ${target.line} of ${target.file}`,
  };
}
