export { DatabaseModule, DatabaseInfo, InjectKysely, KYSELY } from './database.module';
export type { DatabaseModuleOptions } from './database.module';
export { openDatabase, migrateToLatest, databaseKindOf } from './database.factory';
export type { DatabaseConnection, DatabaseKind, DatabaseOptions } from './database.factory';
export type * from './database.types';
export { isPostgres } from './dialect';
export { DatabaseProbe } from './database.probe';
export { MigrateCommand } from './cli/migrate.command';
export { StaticMigrationProvider } from './migrations';
