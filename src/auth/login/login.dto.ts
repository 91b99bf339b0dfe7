import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { CodePointLength } from '../../common';

/** No trimming, no case folding: the password is compared exactly as sent. */
export class LoginDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @CodePointLength(1, 128)
  username!: string;

  @ApiProperty({ minLength: 1, maxLength: 1024, format: 'password' })
  @IsString()
  @CodePointLength(1, 1024)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 1, maxLength: 1024, format: 'password' })
  @IsString()
  @CodePointLength(1, 1024)
  currentPassword!: string;

  /** Length and content are the password policy's to judge (400 PASSWORD_POLICY). */
  @ApiProperty({ minLength: 12, maxLength: 1024, format: 'password' })
  @IsString()
  newPassword!: string;
}
