import { Injectable } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { ReviewDetectorRegistry } from './review-detector.registry';
import { reviewEventFrom, reviewEvents, ReviewOutcome } from './review-engine';
import { ResolvedReviewOptions, resolveReviewOptions } from './review.options';
import { NO_LOGIN_HISTORY, ReviewEvent, ReviewWindow } from './review.types';

const FILE_PATTERN = /^audit-.*\.jsonl(\.gz)?$/;
const BATCH = 2000;

export interface OfflineReviewResult extends ReviewOutcome {
  window: ReviewWindow;
  files: string[];
  /** Lines that were not an audit event (blank, truncated, foreign). */
  skippedLines: number;
}

export interface OfflineReviewProgress {
  eventsReviewed: number;
  /** Bytes of the files read so far, as stored (compressed bytes for `.gz`). */
  bytesRead: number;
  totalBytes: number;
}

/**
 * A folder becomes its `audit-*.jsonl[.gz]` files, in name order (the rotated files are
 * named by date, so name order is time order); files are taken as given.
 */
export async function expandAuditPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => FILE_PATTERN.test(name)).sort();
      files.push(...names.map((name) => join(path, name)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/**
 * Streams audit events out of JSON-lines files, gzipped or not, in batches. Memory is one
 * batch and the line reader's buffer, whatever the size of the files.
 */
export async function* readAuditFiles(
  files: string[],
  onSkipped: () => void = () => undefined,
  onBytesRead: (bytes: number) => void = () => undefined,
): AsyncGenerator<ReviewEvent[]> {
  // Bytes of the files as stored (compressed, for .gz), so progress compares with their sizes.
  let bytesBefore = 0;
  for (const file of files) {
    const raw = createReadStream(file);
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    raw.on('error', (error) => input.destroy(error));
    const lines = createInterface({ input, crlfDelay: Infinity });
    let batch: ReviewEvent[] = [];
    try {
      for await (const line of lines) {
        if (line.length === 0) continue;
        let event: ReviewEvent | undefined;
        try {
          event = reviewEventFrom(JSON.parse(line));
        } catch {
          event = undefined;
        }
        if (event === undefined) {
          onSkipped();
          continue;
        }
        batch.push(event);
        if (batch.length >= BATCH) {
          onBytesRead(bytesBefore + raw.bytesRead);
          yield batch;
          batch = [];
        }
      }
      bytesBefore += raw.bytesRead;
      onBytesRead(bytesBefore);
      if (batch.length > 0) yield batch;
    } finally {
      lines.close();
      raw.destroy();
    }
  }
}

/**
 * The review without a database, like fail2ban-regex for its filters: the same detectors
 * over rotated audit files. It reports and never acts. The only history it knows is the
 * files themselves, so `new-ip-success` compares with earlier lines only.
 */
@Injectable()
export class OfflineReviewService {
  private readonly settings: ResolvedReviewOptions;

  constructor(
    private readonly registry: ReviewDetectorRegistry,
    @InjectAuditOptions() options: AuditModuleOptions,
  ) {
    this.settings = resolveReviewOptions(options.review);
  }

  /** The zone the reports are written in (REVIEW_TIMEZONE). */
  get timeZone(): string {
    return this.settings.timeZone;
  }

  /**
   * `onProgress` (the CLI's bar) gets the files' total size first, then the bytes read after
   * each batch: the files are only read once, so bytes are the measure of the work left.
   */
  async reviewFiles(
    paths: string[],
    window: Partial<ReviewWindow> = {},
    onProgress?: (progress: OfflineReviewProgress) => void,
  ): Promise<OfflineReviewResult> {
    const files = await expandAuditPaths(paths);
    let totalBytes = 0;
    if (onProgress) for (const file of files) totalBytes += (await stat(file)).size;
    let bytesRead = 0;
    onProgress?.({ eventsReviewed: 0, bytesRead, totalBytes });
    const bounds: ReviewWindow = {
      from: window.from ?? new Date(0).toISOString(),
      to: window.to ?? '9999-12-31T23:59:59.999Z',
    };
    let skippedLines = 0;
    const outcome = await reviewEvents(
      readAuditFiles(
        files,
        () => (skippedLines += 1),
        (bytes) => (bytesRead = bytes),
      ),
      this.registry.all(),
      { window: bounds, thresholds: this.settings.thresholds, history: NO_LOGIN_HISTORY },
      ({ eventsReviewed }) => onProgress?.({ eventsReviewed, bytesRead, totalBytes }),
    );
    return { ...outcome, window: bounds, files, skippedLines };
  }
}
