import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AUDIT_MODULE_OPTIONS, AuditModuleOptions } from '../audit.module-definition';
import { BUILT_IN_DETECTORS } from './detectors';
import { OfflineReviewService } from './offline-review.service';
import { ReviewDetectorRegistry } from './review-detector.registry';
import type { ReviewOptions } from './review.options';

/**
 * Just the review engine, for `audit:review --file`: the detectors and OfflineReviewService,
 * no database, no Redis, no file sink, no secret. The audit options it is given only carry
 * the review settings; nothing here reads the (absent) seal key or folders.
 */
@Module({})
export class OfflineReviewModule {
  static forRoot(review: ReviewOptions): DynamicModule {
    const options: AuditModuleOptions = {
      sealKey: '',
      logDir: '',
      fileSink: false,
      retentionDays: 1,
      review: { ...review, enabled: false },
    };
    return {
      module: OfflineReviewModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: AUDIT_MODULE_OPTIONS, useValue: options },
        ReviewDetectorRegistry,
        OfflineReviewService,
        ...BUILT_IN_DETECTORS,
      ],
      exports: [OfflineReviewService],
    };
  }
}
