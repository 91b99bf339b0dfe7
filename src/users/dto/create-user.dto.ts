import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString } from 'class-validator';
import { CodePointLength, Role, ROLES } from '../../common';

export class CreateUserDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @CodePointLength(1, 128)
  username!: string;

  /** Length and content are the password policy's to judge (400 PASSWORD_POLICY). */
  @ApiProperty({ minLength: 12, maxLength: 1024, format: 'password' })
  @IsString()
  password!: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, default: ['user'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true })
  roles?: Role[];
}
