import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from '../common/http.js';
import { CurrentCaller, requestContext, type Caller } from '../common/request-context.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { UsersService } from '../users/users.service.js';
import type { User } from '../users/users.types.js';
import { AuthService, SESSION_COOKIE, readCookie } from './auth.service.js';
import { loginSchema } from './dto/login.dto.js';
import { Public, RequireRole } from './roles.js';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthHttpController {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(UsersService) private readonly users: UsersService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @Audited('auth.login', 'session')
  @ApiOperation({ summary: 'Log in with username and password; sets an HttpOnly session cookie.' })
  @ApiBody({ schema: openApiSchema(loginSchema) })
  async login(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ user: User; expiresAt: string }> {
    const input = parseInput(loginSchema, body, 'login');
    const { user, secret, expiresAt } = await this.auth.login(input.username, input.password);
    requestContext(req).actor = { userId: user.id, username: user.username, role: user.role, via: 'session' };
    res.cookie(SESSION_COOKIE, secret, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      expires: expiresAt,
    });
    return { user, expiresAt: expiresAt.toISOString() };
  }

  @Post('logout')
  @HttpCode(204)
  @RequireRole('viewer')
  @Audited('auth.logout', 'session')
  @ApiOperation({ summary: 'End the browser session.' })
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie !== undefined) await this.auth.logout(cookie);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @ApiOperation({ summary: 'The authenticated user.' })
  async me(@CurrentCaller() caller: Caller): Promise<User & { via: string }> {
    return { ...(await this.users.get(caller.actor.username)), via: caller.actor.via };
  }
}
