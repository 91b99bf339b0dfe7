import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { adminRoutesNotice } from '../common';
import { AuditEventsController } from './audit-events.controller';
import { AuditRepository, KyselyAuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AUDIT_MODULE_OPTIONS, AuditConfigurableModule } from './audit.module-definition';
import { BlocksRepository, KyselyBlocksRepository } from './blocks/blocks.repository';
import { BlocksService } from './blocks/blocks.service';
import { AuditStatsController } from './stats/audit-stats.controller';
import { AuditStatsRepository, KyselyAuditStatsRepository } from './stats/audit-stats.repository';
import { AuditStatsService } from './stats/audit-stats.service';

/**
 * The audit trail: `AuditService.record()`, its sinks (the database, then the JSON-lines file
 * and any `sinks` extra), `GET /audit/events` and blocks; ReviewModule (which imports this one)
 * is the nightly review.
 * Depends on neither `auth` nor `users`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: AuditRepository, useClass: KyselyAuditRepository },
    { provide: BlocksRepository, useClass: KyselyBlocksRepository },
    { provide: AuditStatsRepository, useClass: KyselyAuditStatsRepository },
    AuditService,
    AuditStatsService,
    BlocksService,
    adminRoutesNotice('AuditModule', '/audit/events and /audit/stats', [
      AuditEventsController,
      AuditStatsController,
    ]),
  ],
  exports: [AuditService, AuditStatsService, BlocksService, AUDIT_MODULE_OPTIONS],
})
export class AuditModule extends AuditConfigurableModule {}
