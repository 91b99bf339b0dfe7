import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsQueryInt } from '../../common';

export class ListUsersQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @IsQueryInt(1, 500)
  limit: number = 50;

  /** Opaque: the `nextCursor` of the previous page. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @Matches(/^[A-Za-z0-9_-]+$/)
  cursor?: string;
}
