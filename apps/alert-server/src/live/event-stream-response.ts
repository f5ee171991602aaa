import type { Request, Response } from 'express';

/** Answers `res` as a Server-Sent Events stream, its head sent at once and left open. */
export function beginEventStream(req: Request, res: Response): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx would otherwise buffer the stream and deliver each event late.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  // Each event is one small write: sent at once, not held for the next.
  req.socket.setNoDelay(true);
}
