import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common';

/** What the API shows of a user (`PublicUser`), for the OpenAPI document. */
export class PublicUserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  username!: string;

  @ApiProperty({
    type: [String],
    example: ['user'],
    description: 'Role names, such as `admin` and `user`.',
  })
  roles!: string[];
}

/** A user as admins see it (`AdminUserView`). */
export class AdminUserDto extends PublicUserDto {
  @ApiProperty()
  disabled!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export const AdminUserPageDto = PageOf(AdminUserDto, 'AdminUserPage');
