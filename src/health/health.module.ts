import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database.health';
import { HealthController } from './health.controller';
import { NoOptionalHealthIndicators, OptionalHealthIndicators } from './optional-health.indicators';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, { provide: OptionalHealthIndicators, useClass: NoOptionalHealthIndicators }],
})
export class HealthModule {}
