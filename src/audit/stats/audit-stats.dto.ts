import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import type { StatsBucket } from './audit-stats.repository';

/** `GET /audit/stats` query; anything else is `400 VALIDATION_FAILED`. */
export class AuditStatsQueryDto {
  /** Inclusive start, ISO-8601 (a time without an offset is UTC); default `to` minus 7 days. */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  /** Exclusive end, ISO-8601; default now. */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;

  @IsOptional()
  @IsIn(['1h', '1d'])
  bucket?: StatsBucket;
}

export class StatsPointDto {
  start: string;
  success: number;
  failure: number;
  refused: number;
  findings: number;
}

export class FailingIpDto {
  ip: string;
  failures: number;
}

export class FailingUsernameDto {
  username: string;
  failures: number;
}

export class AuditStatsDto {
  from: string;
  to: string;
  bucket: StatsBucket;
  series: StatsPointDto[];
  topFailingIps: FailingIpDto[];
  topFailingUsernames: FailingUsernameDto[];
}
