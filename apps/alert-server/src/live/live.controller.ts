import { Controller, Get, HttpException, HttpStatus, Inject, Logger, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../api-docs/responses';
import { callerOf } from '../auth/access';
import { OperatorAuthService } from '../auth/operator-auth.service';
import { hashSecret } from '../auth/secrets';
import { sessionCookie } from '../auth/session-cookie';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LiveHub } from './live-hub';
import { MAX_STREAMS_PER_SESSION, StreamQuota } from './stream-quota';
import { beginEventStream } from './event-stream-response';

@ApiTags('live')
@Controller('events')
export class LiveController {
  private readonly logger = new Logger(LiveController.name);
  private readonly quota = new StreamQuota();

  constructor(
    private readonly hub: LiveHub,
    private readonly operators: OperatorAuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The dashboard follows it; so can any client that reads server-sent events. */
  @Get()
  @ApiOperation({
    summary: 'Live events, as server-sent events',
    description:
      'Event names: `alert.created`, `alert.acknowledged`, `alert.resolved` (data: the alert), `device.online`, `device.offline` (data: the device). A comment line at least every 15 s keeps proxies from closing the stream.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'the stream, open until the client or the session ends it',
    schema: { type: 'string' },
  })
  @ApiErrors(
    [401, 'no operator session: sign in first'],
    [429, 'this session already has the most streams allowed'],
  )
  stream(@Req() req: Request, @Res() res: Response): void {
    const release = this.takeStreamPlace(req);
    beginEventStream(req, res);
    const remove = this.hub.add(res);
    const stopWatching = this.endWithSession(req, res);
    res.on('close', () => {
      remove();
      stopWatching();
      release();
    });
  }

  /**
   * A place among the streams of this session. Where operators do not sign in (a lab bench),
   * there is no session to hold to account, and nothing is capped.
   */
  private takeStreamPlace(req: Request): () => void {
    const token = sessionCookie(req);
    if (!callerOf(req).operator || !token) return () => undefined;
    const holder = hashSecret(token);
    const release = this.quota.take(holder);
    if (release) return release;
    this.logger.warn(
      { code: 'LIVE_STREAMS_LIMIT', operator: callerOf(req).operator!.name, address: req.ip },
      'live stream refused: this session already has the most streams allowed',
    );
    throw new HttpException(
      HttpException.createBody(
        `this session already has ${MAX_STREAMS_PER_SESSION} live streams open (GET /events): close a tab or another stream first`,
        'Too Many Requests',
        HttpStatus.TOO_MANY_REQUESTS,
      ),
      HttpStatus.TOO_MANY_REQUESTS,
    );
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
