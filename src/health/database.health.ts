import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Kysely, sql } from 'kysely';
import { DB, InjectKysely } from '../database';

@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    @InjectKysely() private readonly db: Kysely<DB>,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key = 'database'): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await sql`select 1`.execute(this.db);
      return indicator.up();
    } catch {
      return indicator.down({ message: 'database did not answer' });
    }
  }
}
