import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { AuditLineParser, BadLineKind } from './audit-line-parser';
import type { ReviewEvent } from './review.types';

const FILE_PATTERN = /^audit-.*\.jsonl(\.gz)?$/;
/** Bytes read at a time: large reads, one decode per chunk, few pages per second. */
const READ_CHUNK = 1 << 20;
/** A line longer than this (in bytes) is not an audit event; it is counted, never parsed. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Bad lines named one by one in a result; beyond, they are only counted. */
export const NAMED_BAD_LINES = 1000;
const NEWLINE = 10;

/** A line of an audit file that gave no event: where it is and why. */
export interface BadLine {
  file: string;
  /** 1-based. */
  line: number;
  kind: BadLineKind;
}

/** The bad lines of a review: all counted, by kind, the first `NAMED_BAD_LINES` named. */
export class BadLines {
  count = 0;
  readonly byKind: Partial<Record<BadLineKind, number>> = {};
  readonly named: BadLine[] = [];

  add(file: string, line: number, kind: BadLineKind): void {
    this.count += 1;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (this.named.length < NAMED_BAD_LINES) this.named.push({ file, line, kind });
  }
}

/** A file that cannot be read (missing, not permitted, a broken gzip stream): the review stops. */
export class UnreadableAuditFileError extends Error {
  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot read ${file}: ${code && !reason.includes(code) ? `${code} ` : ''}${reason}`);
    this.name = 'UnreadableAuditFileError';
  }
}

/**
 * A folder becomes its `audit-*.jsonl[.gz]` files, in name order (the rotated files are
 * named by date, so name order is time order); files are taken as given.
 */
export async function expandAuditPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new UnreadableAuditFileError(path, error);
    }
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => FILE_PATTERN.test(name)).sort();
      files.push(...names.map((name) => join(path, name)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/** The bytes of a file, decompressed when it ends in `.gz`, in chunks of about a MiB. */
async function* chunksOf(
  file: string,
  onBytesRead: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const raw = createReadStream(file, { highWaterMark: READ_CHUNK });
  // zlib inflates on libuv's thread pool: the main thread only parses.
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip({ chunkSize: READ_CHUNK })) : raw;
  if (input !== raw) raw.on('error', (error) => input.destroy(error));
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      onBytesRead(raw.bytesRead);
      yield chunk;
    }
  } catch (error) {
    throw new UnreadableAuditFileError(file, error);
  } finally {
    raw.destroy();
  }
}

/**
 * Streams audit events out of JSON-lines files, gzipped or not, one page per chunk read.
 * Memory is a chunk, its text and its events, whatever the size of the files. Each chunk is
 * checked as UTF-8 and decoded once; its lines are cut from that one string by
 * `AuditLineParser`. A line that gives no event (torn, not JSON, not UTF-8, longer than
 * `MAX_LINE_BYTES`, or JSON that is not an audit event) goes to `bad`; blank lines are
 * ignored.
 */
export async function* readAuditFiles(
  files: string[],
  bad: BadLines = new BadLines(),
  onBytesRead: (bytes: number) => void = () => undefined,
): AsyncGenerator<ReviewEvent[]> {
  const parser = new AuditLineParser();
  // Bytes of the files as stored (compressed, for .gz), so progress compares with their sizes.
  let bytesBefore = 0;
  for (const file of files) {
    let fileBytes = 0;
    let lineNumber = 0;
    let carry: Buffer | undefined;
    /** In the middle of an oversized line: bytes up to the next newline are dropped. */
    let skipping = false;

    /** The lines of `buffer[0, end)`: whole lines, each ending in a newline but maybe the last. */
    const linesOf = (buffer: Buffer, end: number): ReviewEvent[] => {
      const events: ReviewEvent[] = [];
      const whole = buffer.subarray(0, end);
      if (isUtf8(whole)) {
        parseText(whole.toString('utf8'), events);
      } else {
        // Rare: find the offending lines, decode the others one by one.
        let start = 0;
        while (start < end) {
          let stop = buffer.indexOf(NEWLINE, start);
          if (stop < 0 || stop >= end) stop = end;
          const line = buffer.subarray(start, stop);
          if (isUtf8(line)) parseText(line.toString('utf8'), events, true);
          else {
            lineNumber += 1;
            bad.add(file, lineNumber, 'not-utf8');
          }
          start = stop + 1;
        }
      }
      return events;
    };

    /** The lines of `text`; `single`: text is one line, without its newline. */
    const parseText = (text: string, events: ReviewEvent[], single = false): void => {
      parser.setText(text);
      let start = 0;
      const length = text.length;
      while (start < length || single) {
        let stop = single ? length : text.indexOf('\n', start);
        if (stop < 0) stop = length;
        lineNumber += 1;
        if (stop > start && !(stop === start + 1 && text.charCodeAt(start) === 13)) {
          if (stop - start > MAX_LINE_BYTES) bad.add(file, lineNumber, 'oversized');
          else {
            const event = parser.parse(start, stop);
            if (typeof event === 'string') bad.add(file, lineNumber, event);
            else events.push(event);
          }
        }
        if (single) return;
        start = stop + 1;
      }
    };

    for await (let chunk of chunksOf(file, (bytes) => {
      fileBytes = bytes;
      onBytesRead(bytesBefore + bytes);
    })) {
      if (skipping) {
        const newline = chunk.indexOf(NEWLINE);
        if (newline < 0) continue;
        skipping = false;
        chunk = chunk.subarray(newline + 1);
      }
      const buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      const lastNewline = buffer.lastIndexOf(NEWLINE);
      if (lastNewline < 0) {
        if (buffer.length > MAX_LINE_BYTES) {
          lineNumber += 1;
          bad.add(file, lineNumber, 'oversized');
          skipping = true;
        } else carry = Buffer.from(buffer);
        continue;
      }
      const rest = buffer.subarray(lastNewline + 1);
      if (rest.length > MAX_LINE_BYTES) {
        // The tail is already too long for a line: count it now, drop it up to its newline.
        const events = linesOf(buffer, lastNewline + 1);
        lineNumber += 1;
        bad.add(file, lineNumber, 'oversized');
        skipping = true;
        if (events.length > 0) yield events;
        continue;
      }
      // Copied: the tail must not keep the whole chunk alive.
      if (rest.length > 0) carry = Buffer.from(rest);
      const events = linesOf(buffer, lastNewline + 1);
      if (events.length > 0) yield events;
    }
    // The last line, without a newline (a file cut while written ends like this).
    if (carry && carry.length > 0) {
      const events = linesOf(carry, carry.length);
      if (events.length > 0) yield events;
    }
    bytesBefore += fileBytes;
  }
}
