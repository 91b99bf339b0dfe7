import {
  DynamicModule,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { RedisConnections } from './redis.connections';

/** How long a start waits for Redis before going on without it. */
const REDIS_STARTUP_WAIT_MS = 2000;

@Injectable()
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');

  constructor(private readonly redis: RedisConnections) {}

  async onModuleInit(): Promise<void> {
    this.redis.connect();
    const ready = await this.redis.whenReady(REDIS_STARTUP_WAIT_MS);
    if (!ready) this.logger.warn('Redis is not answering; starting in safe mode (database only)');
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
