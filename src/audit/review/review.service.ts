import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CursorCodec,
  DomainError,
  errorMessage,
  Page,
  readPage,
  runWithRequestContext,
  systemContext,
} from '../../common';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { AuditService } from '../audit.service';
import { BlocksService } from '../blocks/blocks.service';
import { AuditSealService, IntegrityReport, SealDigest } from './audit-seal.service';
import { ReviewDetectorRegistry } from './review-detector.registry';
import { reviewEvents, ReviewOutcome, sortFindings } from './review-engine';
import { ReviewMeasuresService } from './review-measures.service';
import { renderReport, reportFileName, writeReportAtomically } from './review-report';
import { ResolvedReviewOptions, resolveReviewOptions } from './review.options';
import { Clock } from '../../common';
import { ReviewRepository, RunRecord, StoredFinding } from './review.repository';
import type { LoginHistory, ReviewEvent, ReviewWindow } from './review.types';
import type {
  FindingView,
  MeasureRecord,
  ReviewRunSummary,
  ReviewRunView,
  RunCounts,
  SealView,
} from './review.view';

export interface RunRequest {
  /**
   * Inclusive ISO start, before `to`; default: the end of the last completed scheduled-style
   * run, or the first event.
   */
  from?: string;
  /** Exclusive ISO end, not later than now; default: now. Either bound makes the window explicit. */
  to?: string;
  /** Report only: no measures, no audit events, no seal. */
  dryRun?: boolean;
  /** Who asked: `scheduled`, `api`, `cli`. */
  trigger: string;
  /**
   * The CLI's progress bar: called once the window is claimed with the number of its events
   * (one COUNT, made only when this is given), then after each page.
   */
  onProgress?: (progress: ReviewRunProgress) => void;
  /**
   * Aborting it (Ctrl-C in the CLI) stops the run between two pages or before it acts: the run
   * is recorded as failed with the abort reason, which releases its lease; no report is written.
   * Once measures are being applied, the run finishes.
   */
  signal?: AbortSignal;
}

export interface ReviewRunProgress {
  eventsReviewed: number;
  /** Events in the window, counted when the run starts; events added meanwhile are not in it. */
  totalEvents: number;
}

interface StoredCounts extends RunCounts {
  durationMs: number;
  errors: string[];
  seal: SealView | null;
}

/** How often a run that can be interrupted lets signals in (see `review()`). */
const YIELD_EVERY_MS = 100;

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/**
 * The nightly review. `run()` is the single entry point of the scheduler, the API and the CLI:
 * claim the window, stream its events through every detector once, act on the findings,
 * seal the events, write the report, and record the run.
 */
@Injectable()
export class ReviewService {
  private readonly logger = new Logger('Review');
  private readonly settings: ResolvedReviewOptions;

  constructor(
    private readonly repository: ReviewRepository,
    private readonly registry: ReviewDetectorRegistry,
    private readonly measures: ReviewMeasuresService,
    private readonly seals: AuditSealService,
    private readonly audit: AuditService,
    private readonly blocks: BlocksService,
    private readonly clock: Clock,
    @InjectAuditOptions() private readonly auditOptions: AuditModuleOptions,
  ) {
    this.settings = resolveReviewOptions(auditOptions.review);
  }

  get timeZone(): string {
    return this.settings.timeZone;
  }

  /**
   * The 23:00 job: the scheduled window (from where the last run stopped, to now), then the
   * housekeeping: expired blocks deleted, audit events past the retention pruned.
   */
  runScheduled(): Promise<ReviewRunView> {
    return runWithRequestContext(systemContext('CRON', 'login-review'), async () => {
      const run = await this.run({ trigger: 'scheduled' });
      await this.housekeeping();
      return run;
    });
  }

  /** Expired blocks and audit events past the retention go; each step's failure is logged only. */
  async housekeeping(): Promise<{ blocksDeleted: number; eventsPruned: number }> {
    const now = this.clock.now();
    let blocksDeleted = 0;
    let eventsPruned = 0;
    try {
      blocksDeleted = await this.blocks.deleteExpired(now);
    } catch (error) {
      this.logger.error(`Deleting expired blocks failed: ${errorMessage(error)}`);
    }
    try {
      eventsPruned = await this.audit.pruneOlderThan(
        this.auditOptions.retentionDays,
        undefined,
        now,
      );
    } catch (error) {
      this.logger.error(`Pruning audit events failed: ${errorMessage(error)}`);
    }
    return { blocksDeleted, eventsPruned };
  }

  async run(request: RunRequest): Promise<ReviewRunView> {
    const startedAt = this.clock.now();
    const bounds = explicitBounds(request, startedAt);
    await this.repository.expireStaleClaims(startedAt);
    const dryRun = request.dryRun === true;
    const id = randomUUID();
    const leaseMs = this.settings.leaseSeconds * 1000;
    // The window is read inside the claim: read first and claimed after, another instance's
    // run could finish in between and both would review the same events (issue 10, item 20).
    const window = await this.repository.claim(
      {
        id,
        windowFrom: bounds.from,
        windowTo: bounds.to,
        trigger: request.trigger,
        dryRun,
        advancesWindow: bounds.scheduled && !dryRun,
        startedAt,
        leaseExpiresAt: startedAt + leaseMs,
      },
      startedAt,
    );
    if (!window) throw new DomainError('REVIEW_RUNNING', 'A review is already running');

    try {
      return await this.execute(id, window, dryRun, request, startedAt);
    } catch (error) {
      const message = errorMessage(error);
      this.logger.error(`Review ${id} failed: ${message}`);
      await this.repository.finish(id, {
        status: 'failed',
        finishedAt: this.clock.now(),
        eventsReviewed: 0,
        counts: {},
        measures: [],
        error: message.slice(0, 2000),
      });
      throw error;
    }
  }

  private async execute(
    id: string,
    window: ReviewWindow,
    dryRun: boolean,
    request: RunRequest,
    startedAt: number,
  ): Promise<ReviewRunView> {
    const range = await this.repository.eventIdRange(window.from, window.to);
    const sealDigest = dryRun ? undefined : await this.seals.begin();
    const outcome = await this.review(id, window, range, sealDigest, request);
    // The last point where stopping leaves nothing half done: nothing is stored or applied yet.
    request.signal?.throwIfAborted();
    const errors = [...outcome.errors];

    const findings: FindingView[] = [];
    for (const finding of outcome.findings) {
      const view: FindingView = { id: randomUUID(), ...finding };
      // Re-running a window finds the same things; acting on them again would double blocks.
      if (!dryRun) {
        const earlier = await this.repository.findActedFinding(
          finding.rule,
          finding.subject,
          finding.firstSeen,
          id,
        );
        if (earlier) view.repeatOf = earlier;
      }
      findings.push(view);
    }
    await this.repository.insertFindings(
      findings.map((finding): StoredFinding => ({ ...finding, runId: id })),
    );

    let measures: MeasureRecord[] = [];
    let seal: SealView | null = null;
    if (!dryRun) {
      const now = this.clock.now();
      measures = await this.measures.apply(findings, this.settings, now);
      for (const finding of findings) {
        if (!finding.repeatOf) await this.measures.recordFinding(finding, id);
      }
      for (const measure of measures)
        if (measure.result === 'failed')
          errors.push(`${measure.kind} ${measure.target}: ${measure.detail}`);
      if (sealDigest) seal = await this.sealWindow(id, sealDigest, window.to, errors);
    }

    const finishedAt = this.clock.now();
    const view: ReviewRunView = {
      id,
      status: 'completed',
      trigger: request.trigger,
      dryRun,
      window,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: finishedAt - startedAt,
      eventsReviewed: outcome.eventsReviewed,
      counts: {
        byType: outcome.counts,
        findingsByRule: countBy(findings, (finding) => finding.rule),
        findingsBySeverity: countBy(findings, (finding) => finding.severity),
      },
      findings,
      measures,
      seal,
      errors,
      reportPath: null,
    };
    view.reportPath = await this.writeReport(view, errors);

    const counts: StoredCounts = { ...view.counts, durationMs: view.durationMs, errors, seal };
    await this.repository.finish(id, {
      status: 'completed',
      finishedAt,
      eventsReviewed: outcome.eventsReviewed,
      counts: counts as unknown as Record<string, unknown>,
      measures,
      error: errors.length > 0 ? errors.join('\n').slice(0, 4000) : undefined,
      reportPath: view.reportPath ?? undefined,
    });
    if (!dryRun) {
      await this.audit.record({
        type: 'review_completed',
        outcome: errors.length > 0 ? 'failure' : 'success',
        level: findings.some((finding) => finding.severity === 'critical') ? 'CRITICAL' : 'INFO',
        details: {
          runId: id,
          from: window.from,
          to: window.to,
          eventsReviewed: outcome.eventsReviewed,
          findings: findings.length,
          measures: measures.filter((measure) => measure.result === 'applied').length,
          durationMs: view.durationMs,
        },
      });
    }
    this.logger.log(
      `Review ${id} ${window.from} → ${window.to}: ${outcome.eventsReviewed} events, ${findings.length} findings, ${measures.length} measures${dryRun ? ' (dry run)' : ''}`,
    );
    return view;
  }

  /**
   * The one streaming pass over the window, renewing the claim's lease as it goes. When the
   * run seals, the same pass reads whole rows and feeds the seal too, from the event after the
   * last seal: every event is read once.
   */
  private async review(
    id: string,
    window: ReviewWindow,
    range: { firstId: number; lastId: number } | undefined,
    seal: SealDigest | undefined,
    { onProgress, signal }: Pick<RunRequest, 'onProgress' | 'signal'>,
  ): Promise<ReviewOutcome> {
    const { pageSize, leaseSeconds } = this.settings;
    signal?.throwIfAborted();
    const totalEvents = onProgress
      ? await this.audit.countEvents({ from: window.from, to: window.to })
      : 0;
    onProgress?.({ eventsReviewed: 0, totalEvents });
    const repository = this.repository;
    async function* pages(): AsyncGenerator<ReviewEvent[]> {
      if (!range) return;
      const sealing = seal !== undefined && seal.afterId < range.lastId;
      let afterId = sealing ? Math.min(seal.afterId, range.firstId - 1) : range.firstId - 1;
      while (afterId < range.lastId) {
        if (!sealing) {
          const page = await repository.listEventsForReview(afterId, range.lastId, pageSize);
          if (page.length === 0) return;
          yield page;
          afterId = page[page.length - 1].id;
          continue;
        }
        const { events: page, sealed } = await repository.listEventsForReviewAndSeal(
          afterId,
          range.lastId,
          pageSize,
          seal.afterId,
        );
        if (page.length === 0) return;
        seal.addBatch(sealed);
        yield page;
        afterId = page[page.length - 1].id;
      }
    }
    let renewedAt = this.clock.now();
    let yieldedAt = renewedAt;
    return reviewEvents(
      pages(),
      this.registry.all(),
      { window, thresholds: this.settings.thresholds, history: this.loginHistory() },
      async ({ eventsReviewed }) => {
        if (signal && this.clock.now() - yieldedAt >= YIELD_EVERY_MS) {
          // better-sqlite3 answers synchronously, so a SQLite review never leaves the event
          // loop by itself: without this turn, Ctrl-C would be seen only once the run ended.
          await new Promise<void>((resolve) => setImmediate(resolve));
          yieldedAt = this.clock.now();
        }
        signal?.throwIfAborted();
        onProgress?.({ eventsReviewed, totalEvents });
        const now = this.clock.now();
        if (now - renewedAt > (leaseSeconds * 1000) / 3) {
          renewedAt = now;
          await this.repository.renewLease(id, now + leaseSeconds * 1000);
        }
      },
    );
  }

  /** History for the detectors: successful logins within the retention, before the window. */
  private loginHistory(): LoginHistory {
    const retentionStart = new Date(
      this.clock.now() - this.auditOptions.retentionDays * 86_400_000,
    ).toISOString();
    return {
      successfulIpsBefore: (usernames, before) =>
        this.repository.successfulIpsBefore(usernames, retentionStart, before),
    };
  }

  private async sealWindow(
    runId: string,
    digest: SealDigest,
    windowTo: string,
    errors: string[],
  ): Promise<SealView | null> {
    try {
      const seal = await this.seals.store(runId, digest, windowTo, this.clock.now());
      if (!seal) return null;
      await this.audit.record({
        type: 'audit_sealed',
        outcome: 'success',
        details: {
          sealId: seal.id,
          runId,
          firstEventId: seal.firstEventId,
          lastEventId: seal.lastEventId,
          eventCount: seal.eventCount,
          sealedThrough: seal.sealedThrough,
        },
      });
      return {
        id: seal.id,
        firstEventId: seal.firstEventId,
        lastEventId: seal.lastEventId,
        eventCount: seal.eventCount,
        hash: seal.hash,
      };
    } catch (error) {
      errors.push(`seal: ${errorMessage(error)}`);
      return null;
    }
  }

  private async writeReport(view: ReviewRunView, errors: string[]): Promise<string | null> {
    const path = join(this.settings.reportDir, reportFileName(view.id));
    try {
      await mkdir(this.settings.reportDir, { recursive: true });
      // Never replaces a file, even one another instance wrote (run ids are unique); an
      // interrupted run leaves no half-written report.
      await writeReportAtomically(path, renderReport(view, this.settings.timeZone), {
        replace: false,
      });
      return path;
    } catch (error) {
      errors.push(`report: ${errorMessage(error)}`);
      return null;
    }
  }

  async findRun(id: string): Promise<ReviewRunView | undefined> {
    const run = await this.repository.findRun(id);
    if (!run) return undefined;
    const findings = sortFindings(await this.repository.findingsOfRun(id)).map(
      (finding): FindingView => {
        const { runId: _runId, ...view } = finding;
        return view;
      },
    );
    return {
      ...this.summaryParts(run),
      findings,
      measures: (run.measures ?? []) as MeasureRecord[],
    };
  }

  async listRuns(limit: number, cursor?: string): Promise<Page<ReviewRunSummary>> {
    const before = RUNS_CURSOR.decodeOptional(cursor);
    const page = await readPage(
      limit,
      (take) => this.repository.listRuns(take, before),
      (last) => RUNS_CURSOR.encode(last),
    );
    const items = page.items.map((run) => {
      const parts = this.summaryParts(run);
      const findingCount = Object.values(parts.counts.findingsBySeverity).reduce(
        (sum, n) => sum + (n ?? 0),
        0,
      );
      return { ...parts, findingCount, measureCount: (run.measures ?? []).length };
    });
    return { items, nextCursor: page.nextCursor };
  }

  verifyIntegrity(): Promise<IntegrityReport> {
    return this.seals.verify(this.clock.now());
  }

  private summaryParts(run: RunRecord): Omit<ReviewRunView, 'findings' | 'measures'> {
    const stored = (run.counts ?? {}) as Partial<StoredCounts>;
    return {
      id: run.id,
      status: run.status,
      trigger: run.trigger,
      dryRun: run.dryRun,
      window: { from: run.windowFrom, to: run.windowTo },
      startedAt: new Date(run.startedAt).toISOString(),
      finishedAt: run.finishedAt === undefined ? null : new Date(run.finishedAt).toISOString(),
      durationMs:
        stored.durationMs ?? (run.finishedAt === undefined ? 0 : run.finishedAt - run.startedAt),
      eventsReviewed: run.eventsReviewed,
      counts: {
        byType: stored.byType ?? {},
        findingsByRule: stored.findingsByRule ?? {},
        findingsBySeverity: stored.findingsBySeverity ?? {},
      },
      seal: stored.seal ?? null,
      errors: stored.errors ?? (run.error ? [run.error] : []),
      reportPath: run.reportPath ?? null,
    };
  }
}

/**
 * The bounds a request gives (issue 10, item 4). A `to` later than now would let a run
 * claim events that do not exist yet; there is no allowance for clock skew, since leaving
 * `to` out already means "now" by the server's clock. A `from` must be before `to`.
 * Only a request with neither bound is scheduled-style.
 */
function explicitBounds(
  request: RunRequest,
  now: number,
): { from?: string; to: string; scheduled: boolean } {
  const invalid = (message: string) => new DomainError('VALIDATION_FAILED', message);
  const parse = (name: string, value: string): number => {
    const time = Date.parse(value);
    if (Number.isNaN(time)) throw invalid(`"${name}" must be an ISO 8601 time`);
    return time;
  };
  const to = request.to === undefined ? now : parse('to', request.to);
  if (to > now) throw invalid('"to" must not be later than now');
  if (request.from !== undefined && parse('from', request.from) >= to) {
    throw invalid('"from" must be before "to"');
  }
  return {
    from: request.from === undefined ? undefined : new Date(request.from).toISOString(),
    to: new Date(to).toISOString(),
    scheduled: request.from === undefined && request.to === undefined,
  };
}

/** The cursor of a runs page (newest first): the start and id of its last run. */
const RUNS_CURSOR = new CursorCodec<{ startedAt: number; id: string }>(
  'rv1:',
  (run) => `${run.startedAt}:${run.id}`,
  (text) => {
    const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(text);
    return match ? { startedAt: Number(match[1]), id: match[2] } : undefined;
  },
);
