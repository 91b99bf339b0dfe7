import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AuditSealService } from './audit-seal.service';
import { BUILT_IN_DETECTORS } from './detectors';
import { OfflineReviewService } from './offline-review.service';
import { ReviewDetectorRegistry } from './review-detector.registry';
import { ReviewMeasuresService } from './review-measures.service';
import { ReviewClock } from './review.clock';
import { ReviewController } from './review.controller';
import { KyselyReviewRepository, ReviewRepository } from './review.repository';
import { ReviewScheduler } from './review.scheduler';
import { KyselySealsRepository, SealsRepository } from './seals.repository';
import { ReviewService } from './review.service';

/**
 * The nightly review. Imported by AuditModule, whose (global) exports it uses: AuditService,
 * BlocksService and the audit options (`review`, `sealKey`, `retentionDays`). The scheduler
 * is registered here; nothing else in the app uses @nestjs/schedule.
 */
@Module({
  imports: [DiscoveryModule, ScheduleModule.forRoot()],
  controllers: [ReviewController],
  providers: [
    { provide: ReviewRepository, useClass: KyselyReviewRepository },
    { provide: SealsRepository, useClass: KyselySealsRepository },
    ReviewClock,
    ReviewDetectorRegistry,
    ReviewMeasuresService,
    AuditSealService,
    ReviewService,
    OfflineReviewService,
    ReviewScheduler,
    ...BUILT_IN_DETECTORS,
  ],
  exports: [ReviewService, OfflineReviewService, AuditSealService],
})
export class ReviewModule {}
