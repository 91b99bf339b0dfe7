import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageOf } from '../common';
import { AUDIT_EVENT_TYPES, AUDIT_LEVELS, AUDIT_OUTCOMES } from '../common';

/** The audit event of API.md, for the OpenAPI document. */
export class AuditEventDto {
  @ApiProperty({ type: 'integer' })
  id!: number;

  @ApiProperty({ format: 'date-time' })
  ts!: string;

  @ApiProperty({ enum: AUDIT_EVENT_TYPES, enumName: 'AuditEventType' })
  type!: string;

  @ApiProperty({ enum: AUDIT_LEVELS, enumName: 'AuditLevel' })
  level!: string;

  @ApiProperty({ enum: AUDIT_OUTCOMES, enumName: 'AuditOutcome' })
  outcome!: string;

  @ApiPropertyOptional()
  username?: string;

  @ApiPropertyOptional()
  userId?: string;

  @ApiPropertyOptional()
  reason?: string;

  @ApiProperty()
  ip!: string;

  @ApiProperty()
  userAgent!: string;

  @ApiProperty()
  requestId!: string;

  @ApiProperty()
  method!: string;

  @ApiProperty()
  path!: string;

  @ApiPropertyOptional({ description: 'Keyed hash of the session id.' })
  sessionRef?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;
}

export const AuditEventPageDto = PageOf(AuditEventDto, 'AuditEventPage');

export class ReviewWindowDto {
  @ApiProperty({ format: 'date-time', description: 'Inclusive.' })
  from!: string;

  @ApiProperty({ format: 'date-time', description: 'Exclusive.' })
  to!: string;
}

export class RunCountsDto {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } })
  byType!: Record<string, number>;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } })
  findingsByRule!: Record<string, number>;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } })
  findingsBySeverity!: Record<string, number>;
}

export class SealDto {
  @ApiProperty({ type: 'integer' })
  id!: number;

  @ApiProperty({ type: 'integer' })
  firstEventId!: number;

  @ApiProperty({ type: 'integer' })
  lastEventId!: number;

  @ApiProperty({ type: 'integer' })
  eventCount!: number;

  @ApiProperty()
  hash!: string;
}

class ReviewRunBase {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['running', 'completed', 'failed'] })
  status!: string;

  @ApiProperty({ example: 'api' })
  trigger!: string;

  @ApiProperty()
  dryRun!: boolean;

  @ApiProperty({ type: ReviewWindowDto })
  window!: ReviewWindowDto;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;

  @ApiProperty({ type: 'integer' })
  durationMs!: number;

  @ApiProperty({ type: 'integer' })
  eventsReviewed!: number;

  @ApiProperty({ type: RunCountsDto })
  counts!: RunCountsDto;

  @ApiProperty({ type: SealDto, nullable: true })
  seal!: SealDto | null;

  @ApiProperty({ type: [String] })
  errors!: string[];

  @ApiProperty({ type: String, nullable: true })
  reportPath!: string | null;
}

export class FindingDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({ example: 'brute_force' })
  rule!: string;

  @ApiProperty({ enum: ['low', 'medium', 'high', 'critical'] })
  severity!: string;

  @ApiProperty({ enum: ['username', 'ip', 'campaign'] })
  subjectKind!: string;

  @ApiProperty()
  subject!: string;

  @ApiProperty({
    type: 'object',
    description: 'Evidence counts, or short lists of samples.',
    additionalProperties: {
      oneOf: [{ type: 'number' }, { type: 'array', items: { type: 'string' } }],
    },
  })
  evidence!: Record<string, number | string[]>;

  @ApiProperty({ format: 'date-time' })
  firstSeen!: string;

  @ApiProperty({ format: 'date-time' })
  lastSeen!: string;

  @ApiProperty({ type: [Number] })
  sampleEventIds!: number[];

  @ApiPropertyOptional({ description: 'The earlier finding that already acted on the same thing.' })
  repeatOf?: string;
}

export class MeasureDto {
  @ApiProperty({ enum: ['block_ip', 'lock_account', 'revoke_sessions'] })
  kind!: string;

  @ApiProperty()
  target!: string;

  @ApiProperty()
  findingId!: string;

  @ApiProperty({ enum: ['applied', 'already_in_force', 'failed'] })
  result!: string;

  @ApiPropertyOptional()
  blockId?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  expiresAt?: string;

  @ApiPropertyOptional({ type: 'integer' })
  durationSeconds?: number;

  @ApiPropertyOptional({ type: 'integer' })
  sessionsRevoked?: number;

  @ApiPropertyOptional()
  detail?: string;
}

/** A run with its findings and measures (`GET /audit/reviews/:id`, `POST /audit/reviews`). */
export class ReviewRunDto extends ReviewRunBase {
  @ApiProperty({ type: [FindingDto] })
  findings!: FindingDto[];

  @ApiProperty({ type: [MeasureDto] })
  measures!: MeasureDto[];
}

/** A run in a list: without its findings and measures. */
export class ReviewRunSummaryDto extends ReviewRunBase {
  @ApiProperty({ type: 'integer' })
  findingCount!: number;

  @ApiProperty({ type: 'integer' })
  measureCount!: number;
}

export const ReviewRunPageDto = PageOf(ReviewRunSummaryDto, 'ReviewRunPage');

export class BlockDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({ enum: ['ip', 'account'] })
  kind!: string;

  @ApiProperty({ description: 'An IP address, or a normalised username for an account lock.' })
  subject!: string;

  @ApiProperty()
  reason!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiPropertyOptional()
  findingId?: string;
}

export const BlockPageDto = PageOf(BlockDto, 'BlockPage');

export class BrokenSealDto {
  @ApiProperty({ type: 'integer' })
  id!: number;

  @ApiProperty({ example: 'chain_truncated' })
  reason!: string;
}

export class IntegrityDto {
  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sealedThrough!: string | null;

  @ApiProperty({ type: 'integer' })
  seals!: number;

  @ApiProperty({ type: 'integer', description: 'Seals past retention, not recomputed.' })
  retiredSeals!: number;

  @ApiProperty({ type: BrokenSealDto, nullable: true })
  firstBrokenSeal!: BrokenSealDto | null;
}
