import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../common';
import { PublicUserDto } from '../users';

/** `200 { user }` of login and refresh. */
export class SignedInDto {
  @ApiProperty({ type: PublicUserDto })
  user!: PublicUserDto;
}

/** One of the caller's sessions (`SessionView`). */
export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  lastSeenAt!: string;

  @ApiProperty()
  ip!: string;

  @ApiProperty()
  userAgent!: string;

  @ApiProperty({ description: 'The session of this request.' })
  current!: boolean;
}

export const SessionPageDto = PageOf(SessionDto, 'SessionPage');
