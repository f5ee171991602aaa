import { RequestMethod, SetMetadata, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { RouteInfo } from '@nestjs/common/interfaces';
import type { NextFunction, Request, Response } from 'express';
import { ACCESS, Access } from '../auth/access';

const INGESTION = 'vigie:ingestion';
const NO_ACCESS_LOG = 'vigie:no-access-log';

/** The route by which devices raise alerts: its refusals are refused alerts (counted and logged). */
export const Ingestion = () => SetMetadata(INGESTION, true);

/**
 * Routes polled by machines (health probes, Prometheus) that would fill the access log with
 * lines nobody reads. The device routes are left out of it by their access already.
 */
export const NoAccessLog = () => SetMetadata(NO_ACCESS_LOG, true);

/** What the route a request reached declared, for the steps that run outside its handler. */
export interface RouteTraits {
  ingestion: boolean;
  /**
   * No access-log line: the device routes are the hot path and report through domain events
   * (per-request logging there cost a quarter of the ingestion's CPU), and machines' polls.
   */
  quietAccessLog: boolean;
}

const NO_TRAITS: RouteTraits = { ingestion: false, quietAccessLog: false };

/**
 * Beside the request rather than on it, as the caller is (auth/access.ts): a property added to
 * Express's request objects costs more than a WeakMap entry on the ingestion path.
 */
const traitsOf = new WeakMap<Request, RouteTraits>();

export function routeTraits(req: Request): RouteTraits {
  return traitsOf.get(req) ?? NO_TRAITS;
}

/**
 * Middleware that marks the requests of the routes it is applied to. Registered before every
 * other middleware, for the routes found by `routesDeclaring`: the access log and the error
 * filter run outside the handler, where a route's metadata cannot be read, yet they must know
 * what the route declared rather than match its path.
 */
export function markRoutes(traits: Partial<RouteTraits>) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    traitsOf.set(req, { ...routeTraits(req), ...traits });
    next();
  };
}

/** What the marking needs to know of each route: its handler and controller, to read their metadata. */
export interface DeclaredRoute {
  handler: (...args: unknown[]) => unknown;
  controller: Type;
}

/** The routes of these controllers whose declaration passes `test`, as middleware route infos. */
export function routesDeclaring(controllers: Type[], test: (route: DeclaredRoute) => boolean): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const controller of controllers) {
    const prefixes = asList(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined);
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      if (!test({ handler: handler as DeclaredRoute['handler'], controller })) continue;
      const paths = asList(Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined);
      for (const prefix of prefixes) {
        for (const path of paths) routes.push({ path: joinPath(prefix, path), method });
      }
    }
  }
  return routes;
}

/** The route raises alerts (`@Ingestion()`). */
export function isIngestion({ handler }: DeclaredRoute): boolean {
  return Reflect.getMetadata(INGESTION, handler) === true;
}

/** The route is a device's (`@DeviceAccess`) or says it wants no access log (`@NoAccessLog()`). */
export function isQuietInAccessLog({ handler, controller }: DeclaredRoute): boolean {
  const declared = (key: string): unknown =>
    (Reflect.getMetadata(key, handler) as unknown) ?? (Reflect.getMetadata(key, controller) as unknown);
  return declared(NO_ACCESS_LOG) === true || (declared(ACCESS) as Access | undefined)?.kind === 'device';
}

function asList(path: string | string[] | undefined): string[] {
  if (path === undefined) return ['/'];
  return Array.isArray(path) ? path : [path];
}

function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
