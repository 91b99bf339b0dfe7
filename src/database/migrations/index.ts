import { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001_initial';
import * as reviewSealSpan from './0002_review_seal_span';
import * as sealFormatV2 from './0003_seal_format_v2';
import * as reviewWindowAdvance from './0004_review_window_advance';
import * as sessionsWithoutUsersFk from './0005_sessions_without_users_fk';
import * as auditLoginStats from './0006_audit_login_stats';

/**
 * Migrations are listed here rather than read from a folder, so the same list serves
 * `nest build` output, Jest and the CLI. Add new files in order.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_review_seal_span': reviewSealSpan,
  '0003_seal_format_v2': sealFormatV2,
  '0004_review_window_advance': reviewWindowAdvance,
  '0005_sessions_without_users_fk': sessionsWithoutUsersFk,
  '0006_audit_login_stats': auditLoginStats,
};

export class StaticMigrationProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}
