import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsISO8601, IsOptional } from 'class-validator';
import { IsCursor, IsQueryInt } from '../../common';

export const REVIEW_LIST_DEFAULT_LIMIT = 50;
export const REVIEW_LIST_MAX_LIMIT = 500;

/** `POST /audit/reviews`: both bounds optional; without them the scheduled window is used. */
export class RunReviewDto {
  @ApiPropertyOptional({
    description: 'Inclusive ISO-8601 start',
    example: '2026-01-30T23:00:00.000Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    description: 'Exclusive ISO-8601 end',
    example: '2026-01-31T23:00:00.000Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ description: 'Report without acting', default: false })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

/** `?limit&cursor` of `GET /audit/reviews` and `GET /audit/blocks`. */
export class ReviewListQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: REVIEW_LIST_MAX_LIMIT,
    default: REVIEW_LIST_DEFAULT_LIMIT,
  })
  @IsOptional()
  @IsQueryInt(1, REVIEW_LIST_MAX_LIMIT)
  limit: number = REVIEW_LIST_DEFAULT_LIMIT;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsCursor()
  cursor?: string;
}
