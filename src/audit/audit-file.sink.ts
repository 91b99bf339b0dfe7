import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import type { AuditEvent } from './audit-event';
import { orderEventKeys } from './audit.repository';
import { AuditSink } from './audit-sink';
import {
  chainedLine,
  FILE_CHAIN_GENESIS,
  fileChainKey,
  lineMac,
  readChainTail,
} from './audit-file-chain';
import { errorMessage } from '../common';

// triple-beam's MESSAGE: the text a winston transport writes.
const MESSAGE = Symbol.for('message');

export interface AuditFileSinkOptions {
  /** Folder of `audit-YYYY-MM-DD.jsonl` (UTC dates); created when missing. */
  logDir: string;
  /** Rotated files older than this are deleted; older days are gzipped meanwhile. */
  retentionDays: number;
  /** How long a failed sink waits before it reopens its file (default 30 s). */
  retryAfterMs?: number;
  /** How long a reopened file must take writes without an error to count as recovered (default 1 s). */
  recoveryQuietMs?: number;
  /**
   * AUDIT_SEAL_KEY: each line then carries a chained MAC (see audit-file-chain.ts). Without it
   * lines are the bare event JSON.
   */
  sealKey?: string;
}

/** Reads the events the file lacks: `id > afterId`, oldest first. */
export type CatchUpSource = (afterId: number, limit: number) => Promise<AuditEvent[]>;

const CATCH_UP_PAGE = 500;

/** The sink's name; `/health` shows it as `auditFile: up | down`. */
export const AUDIT_FILE_SINK_NAME = 'file';

/**
 * winston-daily-rotate-file throws from `log()` when a rotation cannot create its folder, and
 * it never listens for errors of its file stream. Either would crash the process from inside
 * winston's pipe; here both become an `error` event the sink handles.
 */
class GuardedDailyRotateFile extends DailyRotateFile {
  constructor(
    options: DailyRotateFile.DailyRotateFileTransportOptions,
    onStreamError: (error: Error) => void,
  ) {
    super(options);
    // `logStream` is the library's own (untyped) file-stream-rotator stream.
    const stream = (this as unknown as { logStream?: EventEmitter }).logStream;
    stream?.on('error', onStreamError);
  }

  override log(info: unknown, callback: () => void): void {
    try {
      super.log?.(info, callback);
    } catch (error) {
      this.emit('error', error);
      callback();
    }
  }
}

interface OpenFile {
  logger: winston.Logger;
  transport: GuardedDailyRotateFile;
  /** Set by the first error of this file; a failed file is never written again. */
  failed: boolean;
}

/**
 * The JSON-lines audit file: one event per line, the exact JSON of the database row, in a
 * winston logger of its own (the application logger never sees audit payloads).
 *
 * A failure (unwritable folder, full disk) never loses an event, because the row is already
 * committed: the sink logs the failure once, reports unhealthy for `/health`, drops lines
 * meanwhile, and reopens its file at most every `retryAfterMs`. It is healthy again once a
 * reopened file has taken writes for `recoveryQuietMs` without an error.
 */
@Injectable()
export class AuditFileSink extends AuditSink implements OnApplicationShutdown {
  readonly name = AUDIT_FILE_SINK_NAME;
  private readonly logger = new Logger('AuditFileSink');
  private readonly retryAfterMs: number;
  private readonly recoveryQuietMs: number;
  private file?: OpenFile;
  private healthy = true;
  private lastOpenAttempt = 0;
  private recoveryTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly chainKey?: Buffer;
  /** The MAC of the last line written: the next line's `prev`. */
  private chainHead = FILE_CHAIN_GENESIS;
  /** The highest event id in the file's tail when the sink started (catch-up starts after it). */
  private readonly lastIdOnStart?: number;
  /** While catching up, live events wait here so the file stays in order. */
  private waiting?: AuditEvent[];

  constructor(private readonly options: AuditFileSinkOptions) {
    super();
    this.retryAfterMs = options.retryAfterMs ?? 30_000;
    this.recoveryQuietMs = options.recoveryQuietMs ?? 1_000;
    if (options.sealKey !== undefined) {
      this.chainKey = fileChainKey(options.sealKey);
      // The chain continues from the newest file's last line, across restarts and rotation.
      const tail = readChainTail(options.logDir);
      if (tail) {
        this.chainHead = tail.mac;
        this.lastIdOnStart = tail.lastEventId;
      }
    }
    this.file = this.open();
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  /** The line for an event: byte for byte the JSON of its database row. */
  static line(event: AuditEvent): string {
    return JSON.stringify(orderEventKeys(event));
  }

  write(event: AuditEvent): void {
    if (this.closed) return;
    if (this.waiting) {
      this.waiting.push(event);
      return;
    }
    this.append(event);
  }

  /**
   * After a crash (kill -9 between the commit and the file write) the file lacks the last
   * events; the database is the durable record. Appends every event after the last id the file
   * held on start, in id order, so the file is complete and its chain continues. Live events
   * meanwhile wait and follow, each once. Returns how many events were appended. A folder with
   * no chained line yet (a fresh install) is not back-filled.
   */
  async catchUp(read: CatchUpSource): Promise<number> {
    if (this.lastIdOnStart === undefined || this.closed) return 0;
    const written = new Set<number>();
    this.waiting = [];
    try {
      for (let afterId = this.lastIdOnStart; ;) {
        const page = await read(afterId, CATCH_UP_PAGE);
        for (const event of page) {
          this.append(event);
          written.add(event.id);
        }
        if (page.length < CATCH_UP_PAGE) break;
        afterId = page[page.length - 1].id;
      }
    } finally {
      const waiting = this.waiting;
      this.waiting = undefined;
      for (const event of waiting) if (!written.has(event.id)) this.append(event);
    }
    return written.size;
  }

  private append(event: AuditEvent): void {
    if (!this.file || this.file.failed) {
      if (Date.now() - this.lastOpenAttempt < this.retryAfterMs) return;
      this.discard(this.file);
      this.file = this.open();
      if (!this.file) return;
      this.watchRecovery(this.file);
    }
    try {
      if (!this.chainKey) {
        this.file.logger.info(AuditFileSink.line(event));
      } else {
        const json = AuditFileSink.line(event);
        const mac = lineMac(this.chainKey, this.chainHead, json);
        this.file.logger.info(chainedLine(json, this.chainHead, mac));
        // The chain moves only for a line the file took.
        this.chainHead = mac;
      }
    } catch (error) {
      this.fail(this.file, error);
    }
  }

  /** Flushes and closes the file; later events go to the database only. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.recoveryTimer);
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // The logger finishes once each transport has taken every line; closing the
      // transport then ends its file stream, which flushes to disk.
      file.logger.once('finish', () => {
        const stream = (
          file.transport as unknown as { logStream?: { end(callback: () => void): void } }
        ).logStream;
        if (!stream || file.failed) return done();
        try {
          stream.end(done);
        } catch {
          done();
        }
      });
      try {
        file.logger.end();
      } catch {
        done();
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private open(): OpenFile | undefined {
    this.lastOpenAttempt = Date.now();
    let file: OpenFile | undefined;
    const onError = (error: unknown): void => {
      if (file) this.fail(file, error);
      else this.reportFailure(error);
    };
    try {
      const transport = new GuardedDailyRotateFile(
        {
          dirname: this.options.logDir,
          filename: 'audit-%DATE%',
          extension: '.jsonl',
          datePattern: 'YYYY-MM-DD',
          utc: true,
          zippedArchive: true,
          maxFiles: `${this.options.retentionDays}d`,
          // Rotation bookkeeping of the library; its name never matches `audit-*.jsonl`.
          auditFile: join(this.options.logDir, '.rotation-state.json'),
          eol: '\n',
          // Audit lines carry usernames and IPs: readable by the owner and its group only.
          options: { flags: 'a', mode: 0o640 },
        },
        onError,
      );
      transport.on('error', onError);
      const logger = winston.createLogger({
        level: 'info',
        // The line is already the event's JSON; winston adds nothing to it.
        format: winston.format((info) => {
          (info as Record<symbol, unknown>)[MESSAGE] = info.message;
          return info;
        })(),
        transports: [transport],
        exitOnError: false,
      });
      // winston re-emits transport errors on the logger; unheard, that would crash the process.
      logger.on('error', onError);
      file = { logger, transport, failed: false };
      return file;
    } catch (error) {
      this.reportFailure(error);
      return undefined;
    }
  }

  private fail(file: OpenFile, error: unknown): void {
    file.failed = true;
    this.reportFailure(error);
  }

  private reportFailure(error: unknown): void {
    clearTimeout(this.recoveryTimer);
    if (!this.healthy) return;
    this.healthy = false;
    // Logged once per outage; the message carries the OS error code and path, never a payload.
    const message = errorMessage(error);
    this.logger.error(
      `Audit file sink failed; events are still stored in the database, and the file is retried every ${Math.round(this.retryAfterMs / 1000)} s: ${message}`,
    );
  }

  /** A reopened file counts as recovered after a quiet period with no error. */
  private watchRecovery(file: OpenFile): void {
    clearTimeout(this.recoveryTimer);
    this.recoveryTimer = setTimeout(() => {
      if (this.file === file && !file.failed && !this.healthy) {
        this.healthy = true;
        this.logger.log('Audit file sink recovered');
      }
    }, this.recoveryQuietMs);
    this.recoveryTimer.unref();
  }

  private discard(file: OpenFile | undefined): void {
    if (!file) return;
    try {
      file.logger.end();
    } catch {
      // A broken file may refuse to end; it is dropped either way, with its error listeners kept.
    }
  }
}
