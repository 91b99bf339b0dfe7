import {
  DynamicModule,
  Global,
  Inject,
  InjectionToken,
  Injectable,
  Logger,
  Module,
  ModuleMetadata,
  OnApplicationShutdown,
} from '@nestjs/common';
import type Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import {
  DatabaseConnection,
  DatabaseKind,
  DatabaseOptions,
  migrateToLatest,
  openDatabase,
} from './database.factory';
import type { DB } from './database.types';

export const KYSELY = Symbol('KYSELY');
const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');
const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

/** Injects the one Kysely instance; only repositories and `database/` may use it. */
export const InjectKysely = (): ParameterDecorator & PropertyDecorator => Inject(KYSELY);

/** Which engine is behind Kysely, for the few queries that differ by dialect. */
export abstract class DatabaseInfo {
  abstract readonly kind: DatabaseKind;
  /**
   * On SQLite, the better-sqlite3 handle Kysely runs on, for the rare bulk read where building
   * one object per row is the cost (the nightly review reads the whole day's audit events: a
   * raw-mode prepared statement reads them about twice as fast). Repositories only, and only
   * with a Kysely path beside it for PostgreSQL; undefined on PostgreSQL.
   */
  abstract readonly sqlite?: Sqlite.Database;
  /** DB_TIMEOUT_MS: the longest a request waits for the database, and so its time budget. */
  abstract readonly timeoutMs?: number;
}

export interface DatabaseModuleOptions extends DatabaseOptions {
  /** Run pending migrations before anything can use the database (default true). */
  migrate?: boolean;
}

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return DatabaseModule.forRootAsync({ useFactory: () => options });
  }

  /** Options from a factory (GatehouseModule passes its own options module in `imports`). */
  static forRootAsync(options: {
    imports?: ModuleMetadata['imports'];
    inject?: InjectionToken[];
    useFactory: (...args: never[]) => DatabaseModuleOptions | Promise<DatabaseModuleOptions>;
  }): DynamicModule {
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: DATABASE_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
        {
          provide: DATABASE_CONNECTION,
          useFactory: async (settings: DatabaseModuleOptions): Promise<DatabaseConnection> => {
            const connection = openDatabase({
              ...settings,
              onPoolError: (error) => logger.warn(`Database pool error: ${error.message}`),
            });
            if (settings.migrate !== false) {
              const applied = await migrateToLatest(connection.db);
              if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`);
            }
            return connection;
          },
          inject: [DATABASE_OPTIONS],
        },
        {
          provide: KYSELY,
          useFactory: (connection: DatabaseConnection): Kysely<DB> => connection.db,
          inject: [DATABASE_CONNECTION],
        },
        {
          provide: DatabaseInfo,
          useFactory: (
            connection: DatabaseConnection,
            settings: DatabaseModuleOptions,
          ): DatabaseInfo => ({
            kind: connection.kind,
            sqlite: connection.sqlite,
            timeoutMs: settings.timeoutMs,
          }),
          inject: [DATABASE_CONNECTION, DATABASE_OPTIONS],
        },
        DatabaseLifecycle,
      ],
      exports: [KYSELY, DatabaseInfo],
    };
  }
}
