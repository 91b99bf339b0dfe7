import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { ApiError, Roles } from '../common';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { AdminUserView, PublicUser, toAdminUserView, toPublicUser } from './user';
import { UsersService } from './users.service';

function encodeCursor(usernameNormalized: string): string {
  return Buffer.from(usernameNormalized, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (decoded.length === 0 || encodeCursor(decoded) !== cursor) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'Validation failed', {
      errors: ['cursor is not valid'],
    });
  }
  return decoded;
}

/** The `/users` routes of API.md, all for admins. */
@ApiTags('users')
@ApiCookieAuth()
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  async create(@Body() body: CreateUserDto): Promise<PublicUser> {
    return toPublicUser(
      await this.users.create({
        username: body.username,
        password: body.password,
        roles: body.roles,
      }),
    );
  }

  @Get()
  async list(
    @Query() query: ListUsersQuery,
  ): Promise<{ items: AdminUserView[]; nextCursor: string | null }> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await this.users.list(query.limit + 1, after);
    const items = page.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toAdminUserView),
      nextCursor: page.length > query.limit && last ? encodeCursor(last.usernameNormalized) : null,
    };
  }

  @Patch(':id')
  async update(@Param('id') id: string, @Body() body: UpdateUserDto): Promise<AdminUserView> {
    return toAdminUserView(
      await this.users.update(id, { disabled: body.disabled, roles: body.roles }),
    );
  }

  @Post(':id/unlock')
  @HttpCode(204)
  async unlock(@Param('id') id: string): Promise<void> {
    await this.users.unlock(id);
  }
}
