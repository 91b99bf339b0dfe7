import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import { CodePointLength, Role } from '../../common';
import { ROLE_NAME } from '../declared-roles';
import { MAX_ROLES, ROLES_DESCRIPTION } from './roles.field';

export class CreateUserDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @CodePointLength(1, 128)
  username!: string;

  /** Length and content are the password policy's to judge (400 PASSWORD_POLICY). */
  @ApiProperty({ minLength: 12, maxLength: 1024, format: 'password' })
  @IsString()
  password!: string;

  @ApiPropertyOptional({
    type: String,
    isArray: true,
    default: ['user'],
    description: ROLES_DESCRIPTION,
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ROLES)
  @IsString({ each: true })
  @Matches(ROLE_NAME, { each: true })
  roles?: Role[];
}
