import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { LoginDto } from '@app/contracts';
import { SessionResource } from '../api-docs/resources';
import { ApiErrors } from '../api-docs/responses';
import { PublicAccess } from './access';
import { OperatorAuthService } from './operator-auth.service';
import { LoginRateLimit } from './rate-limit.guard';
import { clearSessionCookie, sessionCookie, setSessionCookie } from './session-cookie';

@ApiTags('auth')
@Controller('auth')
@PublicAccess()
export class AuthController {
  constructor(private readonly operators: OperatorAuthService) {}

  /** 204 and the session cookie; 401, the same for a wrong password and an unknown name. */
  @Post('login')
  @HttpCode(204)
  @LoginRateLimit()
  @ApiOperation({ summary: 'An operator signs in' })
  @ApiNoContentResponse({
    description: 'signed in',
    headers: {
      'Set-Cookie': {
        description: 'the session cookie (HttpOnly, SameSite=Strict)',
        schema: { type: 'string' },
      },
    },
  })
  @ApiErrors(
    400,
    [401, 'wrong name or password (the same answer whether the name exists or not)'],
    403,
    413,
    415,
    [429, 'too many failed sign-ins from this address: wait for `Retry-After`'],
    503,
  )
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const signedIn = await this.operators.signIn(dto.name, dto.password, req.ip ?? '');
    if (!signedIn) throw new UnauthorizedException('wrong name or password');
    setSessionCookie(req, res, signedIn.token);
  }

  /** Ends the session, if any; 204 either way. */
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'The operator signs out' })
  @ApiNoContentResponse({ description: 'signed out, or was not signed in; the cookie is cleared' })
  @ApiErrors(400, 403, 413, 415, 503)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.operators.signOut(sessionCookie(req), req.ip ?? '');
    clearSessionCookie(req, res);
  }

  /** Who is signed in on this browser: lets the page choose between the board and the sign-in form. */
  @Get('session')
  @ApiOperation({ summary: 'Who is signed in on this browser' })
  @ApiOkResponse({ type: SessionResource })
  @ApiErrors([401, 'nobody is signed in with this cookie'], 503)
  async session(@Req() req: Request): Promise<{ name: string; expiresAt: string }> {
    const session = await this.operators.session(sessionCookie(req));
    if (!session) throw new UnauthorizedException('not signed in');
    return { name: session.name, expiresAt: session.expiresAt.toISOString() };
  }
}
