import { SetMetadata, createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { OperatorIdentity } from './operator-auth.service';

/**
 * Who may call a route. Routes say it with a decorator; a route that says nothing needs a
 * signed-in operator, so a new route is closed until someone opens it on purpose.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'operator' }
  /** A device token for the device named in the body (`deviceId`) or the path (`:deviceId`). */
  | { kind: 'device'; deviceIdFrom: 'body' | 'param' }
  | { kind: 'metrics' };

export const ACCESS = 'vigie:access';

export const PublicAccess = () => SetMetadata(ACCESS, { kind: 'public' } satisfies Access);
export const DeviceAccess = (deviceIdFrom: 'body' | 'param') =>
  SetMetadata(ACCESS, { kind: 'device', deviceIdFrom } satisfies Access);
export const MetricsAccess = () => SetMetadata(ACCESS, { kind: 'metrics' } satisfies Access);

/**
 * Who may call a route: what its handler or its controller says, else an operator. The guard
 * and the OpenAPI document both read it here, so the document cannot promise other access.
 */
export function routeAccess(
  reflector: Reflector,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Reflector's own type
  handler: Function,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  controller: Function,
): Access {
  return (
    reflector.getAllAndOverride<Access | undefined>(ACCESS, [handler, controller]) ?? { kind: 'operator' }
  );
}

/** What the guard learned about the caller, kept on the request for the handlers. */
export interface Caller {
  /** The device its token proves (auth on), or the device it names (auth off). */
  deviceId?: string;
  /** The signed-in operator; null with VIGIE_AUTH=off. */
  operator?: OperatorIdentity | null;
}

/**
 * Beside the request rather than on it: Express's request objects share no hidden class (by
 * the time they reach a guard, V8 keeps their properties in a dictionary of their own), and
 * a property added to one cost about 3 µs in a measurement of the ingestion path.
 */
const callers = new WeakMap<Request, Caller>();

export function setCaller(req: Request, caller: Caller): void {
  callers.set(req, caller);
}

export function callerOf(req: Request): Caller {
  return callers.get(req) ?? {};
}

/** The signed-in operator of this request, or null when operators do not sign in (VIGIE_AUTH=off). */
export const CurrentOperator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): OperatorIdentity | null =>
    callerOf(context.switchToHttp().getRequest<Request>()).operator ?? null,
);
