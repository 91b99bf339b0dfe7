import { Module } from '@nestjs/common';
import { AuditRepository, KyselyAuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditConfigurableModule } from './audit.module-definition';
import { BlocksRepository, KyselyBlocksRepository } from './blocks/blocks.repository';
import { BlocksService } from './blocks/blocks.service';

/**
 * The audit trail: `AuditService.record()`, its sinks, blocks and (with the review) the
 * nightly review. Depends on neither `auth` nor `users`.
 */
@Module({
  providers: [
    { provide: AuditRepository, useClass: KyselyAuditRepository },
    { provide: BlocksRepository, useClass: KyselyBlocksRepository },
    AuditService,
    BlocksService,
  ],
  exports: [AuditService, BlocksService],
})
export class AuditModule extends AuditConfigurableModule {}
