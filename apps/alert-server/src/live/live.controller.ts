import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LiveHub } from './live-hub';

@Controller('events')
export class LiveController {
  constructor(private readonly hub: LiveHub) {}

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
    res.on('close', remove);
  }
}
