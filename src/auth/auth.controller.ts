import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedUser, CurrentUser, Public } from '../common';
import type { PublicUser } from '../users';
import { AuthCookies } from './auth-cookies';
import { AuthService, ClientInfo, SessionView } from './auth.service';
import { CsrfService } from './csrf/csrf.service';
import { ChangePasswordDto, LoginDto } from './login/login.dto';

function clientOf(request: Request): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip ?? request.socket.remoteAddress ?? '-',
    userAgent: typeof userAgent === 'string' ? userAgent : '',
  };
}

/** The `/auth` routes of API.md: HTTP only (status codes and cookies); rules are in AuthService. */
@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: AuthCookies,
    private readonly csrf: CsrfService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: LoginDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ user: PublicUser }> {
    const signedIn = await this.auth.login(body.username, body.password, clientOf(request));
    this.cookies.setSession(response, signedIn.cookies);
    return { user: signedIn.user };
  }

  /** Public for the access guard: it authenticates with the refresh cookie instead. */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  async refresh(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ user: PublicUser }> {
    const signedIn = await this.auth.refresh(this.cookies.refreshToken(request), (sessionId) =>
      this.csrf.tokenMatches(request, sessionId),
    );
    this.cookies.setSession(response, signedIn.cookies);
    return { user: signedIn.user };
  }

  @ApiCookieAuth()
  @Post('logout')
  @HttpCode(204)
  async logout(
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.auth.logout(user);
    this.cookies.clearSession(response);
  }

  @ApiCookieAuth()
  @Post('logout-all')
  @HttpCode(204)
  async logoutAll(
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.auth.logoutAll(user);
    this.cookies.clearSession(response);
  }

  @ApiCookieAuth()
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): PublicUser {
    return this.auth.me(user);
  }

  @ApiCookieAuth()
  @Get('sessions')
  async sessions(
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<{ items: SessionView[]; nextCursor: null }> {
    return { items: await this.auth.listSessions(user), nextCursor: null };
  }

  @ApiCookieAuth()
  @Delete('sessions/:id')
  @HttpCode(204)
  async deleteSession(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    const { current } = await this.auth.deleteSession(user, id);
    if (current) this.cookies.clearSession(response);
  }

  @ApiCookieAuth()
  @Post('password')
  @HttpCode(204)
  async changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Req() request: Request,
  ): Promise<void> {
    await this.auth.changePassword(user, body.currentPassword, body.newPassword, clientOf(request));
  }
}
