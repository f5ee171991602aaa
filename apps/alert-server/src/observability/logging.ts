import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';
import { AppConfig } from '../config/app-config';

/** One JSON object per line with `level`, `time` and `msg` (contract §1); pretty for humans. */
export function loggingOptions(config: AppConfig): Params {
  return {
    // The device routes are the hot path and report through domain events (alert.created,
    // alert.rejected...); per-request logging there cost a quarter of the ingestion CPU.
    exclude: [
      { method: RequestMethod.POST, path: 'alerts' },
      { method: RequestMethod.PUT, path: 'devices/:deviceId/heartbeat' },
    ],
    pinoHttp: {
      level: config.logLevel,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      base: { service: 'alert-server' },
      transport:
        config.logFormat === 'pretty'
          ? { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', singleLine: true } }
          : undefined,
      // Successful requests are routine (debug); refusals and faults stand out.
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug',
      autoLogging: { ignore: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health') },
      serializers: {
        req: (req: { method: string; url: string; remoteAddress?: string }) => ({
          method: req.method,
          url: req.url,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
