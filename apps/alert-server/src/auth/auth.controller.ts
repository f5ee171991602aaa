import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LoginDto } from '@app/contracts';
import { PublicAccess } from './access';
import { OperatorAuthService } from './operator-auth.service';
import { LoginRateLimit } from './rate-limit.guard';
import { clearSessionCookie, sessionCookie, setSessionCookie } from './session-cookie';

@Controller('auth')
@PublicAccess()
export class AuthController {
  constructor(private readonly operators: OperatorAuthService) {}

  /** 204 and the session cookie; 401, the same for a wrong password and an unknown name. */
  @Post('login')
  @HttpCode(204)
  @LoginRateLimit()
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
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.operators.signOut(sessionCookie(req), req.ip ?? '');
    clearSessionCookie(req, res);
  }

  /** Who is signed in on this browser: lets the page choose between the board and the sign-in form. */
  @Get('session')
  async session(@Req() req: Request): Promise<{ name: string; expiresAt: string }> {
    const session = await this.operators.session(sessionCookie(req));
    if (!session) throw new UnauthorizedException('not signed in');
    return { name: session.name, expiresAt: session.expiresAt.toISOString() };
  }
}
