import { Controller, Get, Headers, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DEVICE_ID_PATTERN } from '@app/contracts';
import { ApiErrors } from '../api-docs/responses';
import { DeviceAccess } from '../auth/access';
import { DeviceAuthService } from '../auth/device-auth.service';
import { DeviceRateLimit } from '../auth/rate-limit.guard';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeviceIdPipe } from '../devices/device-id.pipe';
import { DeviceStreams } from './device-streams';
import { beginEventStream } from './event-stream-response';

@ApiTags('devices')
@Controller('devices')
export class DeviceStreamController {
  constructor(
    private readonly streams: DeviceStreams,
    private readonly deviceAuth: DeviceAuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The button agent follows it to show the person who pressed that help is coming. */
  @Get(':deviceId/events')
  @DeviceAccess('param')
  @DeviceRateLimit()
  @ApiParam({ name: 'deviceId', schema: { type: 'string', pattern: DEVICE_ID_PATTERN.source } })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description:
      'The `id` of the last event received: the stream resumes after it. Without it (or with an id this stream did not send), it starts with where the open alerts stand.',
  })
  @ApiOperation({
    summary: "What happens to a device's alerts, as server-sent events",
    description:
      'For the device itself (its token). Event names: `alert.stored`, `alert.acknowledged`, `alert.resolved`; data `{alertId, type, at, by?}`; each with an `id` line made from the stored times, so that `Last-Event-ID` resumes after a restart of either side. A comment line at least every 15 s.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'the stream, open until the device or the server ends it',
    schema: { type: 'string' },
  })
  @ApiErrors(
    [400, 'the path names no valid device id'],
    [401, 'missing, unknown or revoked device token'],
    [403, "a token of another device than the path's"],
    [
      429,
      'this device sends more than any agent does, or this address sent bad tokens: wait for `Retry-After`',
    ],
  )
  async stream(
    @Param('deviceId', DeviceIdPipe) deviceId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    beginEventStream(req, res);
    let closed = false;
    let remove: () => void = () => undefined;
    const stopChecking = this.endWithToken(deviceId, req, res);
    res.on('close', () => {
      closed = true;
      remove();
      stopChecking();
    });
    remove = await this.streams.open(deviceId, res, lastEventId);
    if (closed) remove();
  }

  /**
   * A stream lives no longer than the token that opened it: revoked, or replaced by a new
   * enrollment, it is ended at the next check (as often as the keep-alive).
   */
  private endWithToken(deviceId: string, req: Request, res: Response): () => void {
    if (this.config.auth === 'off') return () => undefined;
    const authorization = req.headers.authorization;
    const check = setInterval(() => {
      this.deviceAuth.check(authorization, deviceId).then(
        (result) => {
          if (!result.ok) res.end();
        },
        () => undefined, // the store is unavailable: readiness reports it; keep the stream
      );
    }, this.config.liveKeepAliveSeconds * 1000);
    check.unref();
    return () => clearInterval(check);
  }
}
