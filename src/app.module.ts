import { DynamicModule, Module } from '@nestjs/common';
import { RateLimitModule } from './auth';
import type { AppConfig } from './config';
import { ConsoleModule } from './console';
import { gatehouseFromConfig } from './core.modules';
import { HealthModule } from './health';
import { MetricsModule } from './metrics';
import { sharedStateBindings } from './redis';

/** The HTTP service: GatehouseModule plus the general rate limit, health and metrics. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    // With REDIS_URL: throttle counters, rate limit, revocations and health go through Redis.
    const shared = sharedStateBindings(config.redis);
    const gatehouse = gatehouseFromConfig(config, shared, 'server');
    return {
      module: AppModule,
      imports: [
        // First, so its guard runs before the JWT guard: a flood is refused before any token work.
        RateLimitModule.forRoot({
          limitPerMinute: config.http.rateLimitPerMinute,
          storage: shared.rateLimitStorage,
        }),
        ...shared.imports,
        gatehouse,
        HealthModule.forRoot({
          optionalIndicators: shared.healthIndicators,
          imports: [gatehouse],
        }),
        MetricsModule.forRoot(config.metrics),
        // Last: its catch-all route serves the console's pages for what no API route matched.
        ...(config.web.enabled ? [ConsoleModule.forRoot({ platform: config.http.adapter })] : []),
      ],
    };
  }
}
