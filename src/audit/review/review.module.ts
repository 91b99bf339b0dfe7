import { DynamicModule, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { adminRoutesNotice, ClockModule, missingBinding } from '../../common';
import { SessionRevoker } from '../session-revoker.port';
import { AuditSealService } from './audit-seal.service';
import { BUILT_IN_DETECTORS } from './detectors';
import { OfflineReviewService } from './offline-review.service';
import { ReviewDetectorRegistry } from './review-detector.registry';
import { ReviewMeasuresService } from './review-measures.service';
import { KyselyReviewRepository, ReviewRepository } from './review.repository';
import { ReviewController } from './review.controller';
import { ReviewScheduler } from './review.scheduler';
import { KyselySealsRepository, SealsRepository } from './seals.repository';
import { ReviewService } from './review.service';

export interface ReviewModuleWiring {
  /**
   * Must provide AuditService, BlocksService and the audit options (an AuditModule), plus what
   * `sessionRevoker` needs (GatehouseModule: UsersModule and SessionsModule).
   */
  imports: ModuleMetadata['imports'];
  /** The SessionRevoker port (auth's AuthSessionRevoker in GatehouseModule); required. */
  sessionRevoker?: Type<SessionRevoker>;
  /**
   * More `@ReviewDetector()` classes, registered here. Detectors registered in any other module
   * of the application are discovered too; listing them here also puts them in the CLI.
   */
  detectors?: Type[];
}

/**
 * The nightly review: detectors (discovered app-wide), measures, seals, the 23:00 job and
 * `/audit/reviews`. The scheduler is registered here; nothing else uses @nestjs/schedule.
 */
@Module({})
export class ReviewModule {
  static forRoot(wiring: ReviewModuleWiring): DynamicModule {
    const revoker: Provider = wiring.sessionRevoker
      ? { provide: SessionRevoker, useClass: wiring.sessionRevoker }
      : missingBinding(
          SessionRevoker,
          'SessionRevoker',
          'Import GatehouseModule.forRoot(...), or pass `sessionRevoker` (a SessionRevoker class) ' +
            'and the modules it needs in `imports` to ReviewModule.forRoot(...).',
        );
    return {
      module: ReviewModule,
      imports: [DiscoveryModule, ScheduleModule.forRoot(), ClockModule, ...(wiring.imports ?? [])],
      providers: [
        { provide: ReviewRepository, useClass: KyselyReviewRepository },
        { provide: SealsRepository, useClass: KyselySealsRepository },
        ReviewDetectorRegistry,
        ReviewMeasuresService,
        AuditSealService,
        ReviewService,
        OfflineReviewService,
        ReviewScheduler,
        revoker,
        adminRoutesNotice('ReviewModule', '/audit/reviews, /audit/blocks and /audit/integrity', [
          ReviewController,
        ]),
        ...BUILT_IN_DETECTORS,
        ...(wiring.detectors ?? []),
      ],
      exports: [ReviewService, OfflineReviewService, AuditSealService],
    };
  }
}
