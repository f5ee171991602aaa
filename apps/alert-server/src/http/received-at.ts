import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** When the server took a request in: its wall-clock time and a monotonic start for durations. */
export interface Reception {
  at: Date;
  startedMs: number;
}

const RECEPTION = Symbol('reception');

type StampedRequest = Request & { [RECEPTION]?: Reception };

/** Called first thing by the body middleware, before the body is read and validated. */
export function stampReception(req: Request): void {
  (req as StampedRequest)[RECEPTION] = { at: new Date(), startedMs: performance.now() };
}

/** The reception of this request (now, for a request that was not stamped). */
export const ReceivedAt = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Reception =>
    context.switchToHttp().getRequest<StampedRequest>()[RECEPTION] ?? {
      at: new Date(),
      startedMs: performance.now(),
    },
);
