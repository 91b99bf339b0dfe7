import { Module } from '@nestjs/common';
import { AuditEventsController } from './audit-events.controller';
import { AuditRepository, KyselyAuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AUDIT_MODULE_OPTIONS, AuditConfigurableModule } from './audit.module-definition';
import { BlocksRepository, KyselyBlocksRepository } from './blocks/blocks.repository';
import { BlocksService } from './blocks/blocks.service';
import { ReviewModule } from './review/review.module';
import { AuditStatsController } from './stats/audit-stats.controller';
import { AuditStatsRepository, KyselyAuditStatsRepository } from './stats/audit-stats.repository';
import { AuditStatsService } from './stats/audit-stats.service';

/**
 * The audit trail: `AuditService.record()`, its sinks (the database, then the JSON-lines file
 * and any `sinks` extra), `GET /audit/events`, blocks and (with the review) the nightly review.
 * Depends on neither `auth` nor `users`.
 */
@Module({
  imports: [ReviewModule],
  controllers: [AuditEventsController, AuditStatsController],
  providers: [
    { provide: AuditRepository, useClass: KyselyAuditRepository },
    { provide: BlocksRepository, useClass: KyselyBlocksRepository },
    { provide: AuditStatsRepository, useClass: KyselyAuditStatsRepository },
    AuditService,
    AuditStatsService,
    BlocksService,
  ],
  exports: [AuditService, BlocksService, AUDIT_MODULE_OPTIONS, ReviewModule],
})
export class AuditModule extends AuditConfigurableModule {}
