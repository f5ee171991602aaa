import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Params } from 'nestjs-pino';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { AppConfig } from '../config/app-config';
import { routeTraits } from '../http/route-traits';

/** The process's logger: one JSON object per line with `level`, `time` and `msg`; pretty for humans. */
export function createRootLogger(config: AppConfig): Logger {
  return pino({
    level: config.logLevel,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    base: { service: 'alert-server' },
    transport:
      config.logFormat === 'pretty'
        ? { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', singleLine: true } }
        : undefined,
  });
}

/**
 * nestjs-pino serves the application's loggers (Nest's `Logger`, `PinoLogger`) on `root` and
 * installs no middleware (`forRoutes: []`). Its middleware would bind each request's logger
 * with an AsyncLocalStorage, and one such request switches Node's promise hooks on for every
 * promise of the process from then on: about a fifth of the event loop's time per alert.
 * The access log is `accessLog` instead.
 */
export function loggingOptions(root: Logger): Params {
  return { pinoHttp: { logger: root }, forRoutes: [] };
}

/**
 * One line per answered request, except where the route declared it wants none
 * (`RouteTraits.quietAccessLog`: the device routes, health probes and scrapes). Registered as
 * the application's middleware, after the routes are marked, so it reads what each route says.
 */
export function accessLog(root: Logger): RequestHandler {
  const logRequest = pinoHttp({
    logger: root,
    // Successful requests are routine (debug); refusals and faults stand out.
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug',
    serializers: {
      req: (req: { method: string; url: string; remoteAddress?: string }) => ({
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req: Request, res: Response, next: NextFunction) =>
    routeTraits(req).quietAccessLog ? next() : logRequest(req, res, next);
}
