import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import { Role } from '../../common';
import { ROLE_NAME } from '../declared-roles';
import { MAX_ROLES, ROLES_DESCRIPTION } from './roles.field';

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ type: String, isArray: true, description: ROLES_DESCRIPTION })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ROLES)
  @IsString({ each: true })
  @Matches(ROLE_NAME, { each: true })
  roles?: Role[];
}
