import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** When the server took a request in: its wall-clock time and a monotonic start for durations. */
export interface Reception {
  at: Date;
  startedMs: number;
}

/** Beside the request, not on it: see `callers` in auth/access.ts. */
const receptions = new WeakMap<Request, Reception>();

/** Called first thing by the body middleware, before the body is read and validated. */
export function stampReception(req: Request): void {
  receptions.set(req, { at: new Date(), startedMs: performance.now() });
}

/** The reception of this request (now, for a request that was not stamped). */
export const ReceivedAt = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Reception =>
    receptions.get(context.switchToHttp().getRequest<Request>()) ?? {
      at: new Date(),
      startedMs: performance.now(),
    },
);
