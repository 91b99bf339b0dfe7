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
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiContract,
  AuthenticatedUser,
  CurrentUser,
  GatehouseRequest,
  GatehouseResponse,
  Public,
} from '../common';
import { PublicUserDto } from '../users';
import type { PublicUser } from '../users';
import { AuthCookies } from './auth-cookies';
import { SessionPageDto, SignedInDto } from './auth.responses';
import { AuthService, ClientInfo, SessionView } from './auth.service';
import { CsrfService } from './csrf/csrf.service';
import { ChangePasswordDto, LoginDto } from './login/login.dto';

function clientOf(request: GatehouseRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip ?? request.socket?.remoteAddress ?? '-',
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
  @ApiOperation({
    operationId: 'login',
    summary: 'Sign in; sets the access, refresh and CSRF cookies',
  })
  @ApiOkResponse({
    type: SignedInDto,
    description: 'Signed in; sets the `access_token`, `refresh_token` and `csrf_token` cookies',
  })
  @ApiContract({
    auth: 'public',
    csrf: true,
    body: true,
    errors: { 401: ['INVALID_CREDENTIALS'], 429: ['TOO_MANY_ATTEMPTS'], 503: ['LOGIN_BUSY'] },
  })
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: LoginDto,
    @Req() request: GatehouseRequest,
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<{ user: PublicUser }> {
    const signedIn = await this.auth.login(body.username, body.password, clientOf(request));
    this.cookies.setSession(response, signedIn.cookies);
    return { user: signedIn.user };
  }

  /** Public for the access guard: it authenticates with the refresh cookie instead. */
  @Public()
  @ApiOperation({
    operationId: 'refresh',
    summary: 'Rotate the refresh token; new access token, same session',
  })
  @ApiOkResponse({ type: SignedInDto, description: 'Rotated cookies for the same session' })
  @ApiContract({
    auth: 'refresh',
    csrf: true,
    errors: { 401: ['REFRESH_INVALID', 'REFRESH_REUSED'] },
  })
  @Post('refresh')
  @HttpCode(200)
  async refresh(
    @Req() request: GatehouseRequest,
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<{ user: PublicUser }> {
    const signedIn = await this.auth.refresh(this.cookies.refreshToken(request), (sessionId) =>
      this.csrf.tokenMatches(request, sessionId),
    );
    this.cookies.setSession(response, signedIn.cookies);
    return { user: signedIn.user };
  }

  @ApiOperation({ operationId: 'logout', summary: 'End this session and clear the cookies' })
  @ApiNoContentResponse({ description: 'Signed out' })
  @ApiContract({ auth: 'access', csrf: true })
  @Post('logout')
  @HttpCode(204)
  async logout(
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<void> {
    await this.auth.logout(user);
    this.cookies.clearSession(response);
  }

  @ApiOperation({ operationId: 'logoutAll', summary: 'End every session of the caller' })
  @ApiNoContentResponse({ description: 'Every session revoked' })
  @ApiContract({ auth: 'access', csrf: true })
  @Post('logout-all')
  @HttpCode(204)
  async logoutAll(
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<void> {
    await this.auth.logoutAll(user);
    this.cookies.clearSession(response);
  }

  @ApiOperation({ operationId: 'getMe', summary: 'The signed-in user' })
  @ApiOkResponse({ type: PublicUserDto, description: 'The signed-in user' })
  @ApiContract({ auth: 'access' })
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): PublicUser {
    return this.auth.me(user);
  }

  @ApiOperation({ operationId: 'listSessions', summary: "The caller's live sessions" })
  @ApiOkResponse({ type: SessionPageDto, description: 'Live sessions' })
  @ApiContract({ auth: 'access' })
  @Get('sessions')
  async sessions(
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<{ items: SessionView[]; nextCursor: null }> {
    return { items: await this.auth.listSessions(user), nextCursor: null };
  }

  @ApiOperation({
    operationId: 'deleteSession',
    summary: "End one of the caller's sessions (the current one acts as a logout)",
  })
  @ApiNoContentResponse({ description: 'Session ended' })
  @ApiContract({ auth: 'access', csrf: true, errors: { 404: ['NOT_FOUND'] } })
  @Delete('sessions/:id')
  @HttpCode(204)
  async deleteSession(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) id: string,
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<void> {
    const { current } = await this.auth.deleteSession(user, id);
    if (current) this.cookies.clearSession(response);
  }

  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change the password; other sessions end',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiContract({
    auth: 'access',
    csrf: true,
    body: true,
    errors: {
      400: ['PASSWORD_POLICY'],
      401: ['INVALID_CREDENTIALS'],
      429: ['TOO_MANY_ATTEMPTS'],
      503: ['LOGIN_BUSY'],
    },
  })
  @Post('password')
  @HttpCode(204)
  async changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Req() request: GatehouseRequest,
  ): Promise<void> {
    await this.auth.changePassword(user, body.currentPassword, body.newPassword, clientOf(request));
  }
}
