import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiContract } from '../common';
import { AdminUserDto, AdminUserPageDto, PublicUserDto } from './dto/user.response';
import { Page, Roles } from '../common';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { AdminUserView, PublicUser, toAdminUserView, toPublicUser } from './user';
import { UsersService } from './users.service';

/** The `/users` routes of API.md, all for admins. */
@ApiTags('users')
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @ApiOperation({ operationId: 'createUser', summary: 'Create a user' })
  @ApiCreatedResponse({ type: PublicUserDto, description: 'Created' })
  @ApiContract({
    auth: 'access',
    csrf: true,
    admin: true,
    body: true,
    errors: { 400: ['PASSWORD_POLICY'], 409: ['USERNAME_TAKEN'] },
  })
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

  @ApiOperation({ operationId: 'listUsers', summary: 'List users' })
  @ApiOkResponse({ type: AdminUserPageDto, description: 'One page of users' })
  @ApiContract({ auth: 'access', admin: true, validated: true })
  @Get()
  async list(@Query() query: ListUsersQuery): Promise<Page<AdminUserView>> {
    const page = await this.users.page(query.limit, query.cursor);
    return { ...page, items: page.items.map(toAdminUserView) };
  }

  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Disable, enable or change the roles of a user',
  })
  @ApiOkResponse({ type: AdminUserDto, description: 'The updated user' })
  @ApiContract({
    auth: 'access',
    csrf: true,
    admin: true,
    body: true,
    errors: { 404: ['NOT_FOUND'], 409: ['LAST_ADMIN'] },
  })
  @Patch(':id')
  async update(@Param('id') id: string, @Body() body: UpdateUserDto): Promise<AdminUserView> {
    return toAdminUserView(
      await this.users.update(id, { disabled: body.disabled, roles: body.roles }),
    );
  }

  @ApiOperation({ operationId: 'unlockUser', summary: "Clear a user's lockout state" })
  @ApiNoContentResponse({ description: 'Unlocked' })
  @ApiContract({ auth: 'access', csrf: true, admin: true, errors: { 404: ['NOT_FOUND'] } })
  @Post(':id/unlock')
  @HttpCode(204)
  async unlock(@Param('id') id: string): Promise<void> {
    await this.users.unlock(id);
  }
}
