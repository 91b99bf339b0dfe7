import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { HttpPlatform } from '../common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseProbe } from '../database';
import { DatabaseHealthIndicator } from './database.health';
import { HealthController } from './health.controller';
import { NoOptionalHealthIndicators, OptionalHealthIndicators } from './optional-health.indicators';

export interface HealthModuleOptions {
  /** Checks of the configured optional dependencies (Redis); none by default. */
  optionalIndicators?: Type<OptionalHealthIndicators>;
  /** A module that exports AuditService (the service passes its GatehouseModule). */
  imports?: ModuleMetadata['imports'];
}

/** `/health` and `/health/ready`; import it as `HealthModule.forRoot(...)`. */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [DatabaseProbe, DatabaseHealthIndicator, HttpPlatform],
})
export class HealthModule {
  static forRoot(options: HealthModuleOptions = {}): DynamicModule {
    return {
      module: HealthModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: OptionalHealthIndicators,
          useClass: options.optionalIndicators ?? NoOptionalHealthIndicators,
        },
      ],
    };
  }
}
