import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { callerOf } from '../auth/access';
import { OperatorAuthService } from '../auth/operator-auth.service';
import { sessionCookie } from '../auth/session-cookie';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LiveHub } from './live-hub';

@Controller('events')
export class LiveController {
  constructor(
    private readonly hub: LiveHub,
    private readonly operators: OperatorAuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `text/event-stream` of alert.* and device.* events (contract §3, live events). */
  @Get()
  stream(@Req() req: Request, @Res() res: Response): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx would otherwise buffer the stream and deliver alerts late.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const remove = this.hub.add(res);
    const stopWatching = this.endWithSession(req, res);
    res.on('close', () => {
      remove();
      stopWatching();
    });
  }

  /**
   * A stream lives no longer than the session that opened it: signed out, expired, or its
   * operator removed, it is ended at the next check (as often as the keep-alive), and the
   * page, reconnecting, is asked to sign in again.
   */
  private endWithSession(req: Request, res: Response): () => void {
    if (!callerOf(req).operator) return () => undefined;
    const token = sessionCookie(req);
    const check = setInterval(() => {
      this.operators.session(token).then(
        (session) => {
          if (!session) res.end();
        },
        () => undefined, // the store is unavailable: readiness reports it; keep the stream
      );
    }, this.config.liveKeepAliveSeconds * 1000);
    check.unref();
    return () => clearInterval(check);
  }
}
