import {
  DynamicModule,
  Injectable,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { RedisConnections } from './redis.connections';

@Injectable()
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly redis: RedisConnections) {}

  onModuleInit(): void {
    this.redis.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.close();
  }
}

/**
 * The shared Redis, present only when REDIS_URL is set. Global: the stores that bind to the
 * ports of other modules (ThrottleStore, RevocationNotifier, OptionalHealthIndicators) inject
 * `RedisConnections` from here. The connections object is made by the caller (AppModule), so
 * the @nestjs/throttler storage, which is built before injection, can share it.
 */
@Module({})
export class RedisModule {
  static forRoot(connections: RedisConnections): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [{ provide: RedisConnections, useValue: connections }, RedisLifecycle],
      exports: [RedisConnections],
    };
  }
}
