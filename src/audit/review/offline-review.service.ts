import { Injectable } from '@nestjs/common';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { OfflineReviewProgress, OfflineReviewResult, reviewAuditFiles } from './offline-review';
import { ReviewDetectorRegistry } from './review-detector.registry';
import { ResolvedReviewOptions, resolveReviewOptions } from './review.options';
import type { ReviewWindow } from './review.types';

export type { OfflineReviewProgress, OfflineReviewResult } from './offline-review';
export { expandAuditPaths, readAuditFiles } from './audit-file-reader';

/**
 * The offline review (`reviewAuditFiles`) in a Nest application: with every
 * `@ReviewDetector()` of the host, the built-in ones and its own alike.
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

  reviewFiles(
    paths: string[],
    window: Partial<ReviewWindow> = {},
    onProgress?: (progress: OfflineReviewProgress) => void,
  ): Promise<OfflineReviewResult> {
    return reviewAuditFiles(
      paths,
      this.registry.all(),
      this.settings.thresholds,
      window,
      onProgress,
    );
  }
}
