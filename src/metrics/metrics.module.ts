import { DynamicModule, Module } from '@nestjs/common';
import { HttpPlatform } from '../common';
import { MetricsAccess } from './metrics.access';
import { MetricsController } from './metrics.controller';
import { METRICS_MODULE_OPTIONS, MetricsModuleOptions } from './metrics.options';
import { MetricsService } from './metrics.service';

/**
 * `/metrics` and the Prometheus registry. A leaf: it depends on `common` only. Global, so
 * `MetricsAuditSink` (instantiated by AuditModule as one of its sinks) finds the service.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: options.enabled ? [MetricsController] : [],
      providers: [
        { provide: METRICS_MODULE_OPTIONS, useValue: options },
        MetricsService,
        MetricsAccess,
        HttpPlatform,
      ],
      exports: [MetricsService],
    };
  }
}
