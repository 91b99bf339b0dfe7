import { Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { InjectKysely } from './database.module';
import type { DB } from './database.types';

/** The readiness query, so the health check needs no Kysely of its own. */
@Injectable()
export class DatabaseProbe {
  constructor(@InjectKysely() private readonly db: Kysely<DB>) {}

  /** Resolves when the database answers `select 1`; rejects with the driver's error. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }
}
