import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsCursor, IsQueryInt } from '../../common';

export class ListUsersQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @IsQueryInt(1, 500)
  limit: number = 50;

  /** Opaque: the `nextCursor` of the previous page. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsCursor()
  cursor?: string;
}
