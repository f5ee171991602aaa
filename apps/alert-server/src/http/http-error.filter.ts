import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ALERT_REJECTED, AlertRejectedEvent, RejectionReason } from '@app/contracts';
import type { Request, Response } from 'express';
import { DomainEvents } from '../events/domain-events';
import { routeTraits } from './route-traits';
import { StoreDiskError } from '../store/disk-error';
import { StoreClosedError } from '../store/store';

/**
 * Seconds a client should wait after a refusal for the store's disk. Freeing space takes a
 * person minutes, yet an alert should go through within seconds of it, and agents wait exactly
 * this long (they add no backoff of their own to it); each retry costs the server a share of one
 * failed commit. Five seconds keeps an emergency alert at most that late once the disk is back,
 * and a thousand agents at two hundred requests a second, which group commits absorb.
 */
export const STORE_RETRY_AFTER_S = 5;

/** A store closed is a server stopping: systemd has it back within seconds (RestartSec). */
export const STORE_CLOSED_RETRY_AFTER_S = 2;

const REJECTION_BY_STATUS: Partial<Record<number, RejectionReason>> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/**
 * Every error leaves in the NestJS shape. A client fault keeps its 4xx; anything else is
 * logged with a stable code and answered without leaking internals. Refused alerts are
 * announced here, the one place every refusal passes through, whatever step refused them.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(private readonly events: DomainEvents) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { status, body } = this.toResponse(exception, req);
    if (exception instanceof StoreDiskError && !res.headersSent) {
      res.setHeader('Retry-After', String(STORE_RETRY_AFTER_S));
    }
    if (exception instanceof StoreClosedError && !res.headersSent) {
      res.setHeader('Retry-After', String(STORE_CLOSED_RETRY_AFTER_S));
    }

    if (routeTraits(req).ingestion) this.announceRejection(status, body, req);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  }

  private toResponse(exception: unknown, req: Request): { status: number; body: Record<string, unknown> } {
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const body =
        typeof response === 'string'
          ? { statusCode: exception.getStatus(), error: exception.name, message: response }
          : (response as Record<string, unknown>);
      return { status: exception.getStatus(), body };
    }
    // Not logged here: the store logs each failing commit (and not each of its requests).
    // Not a refusal of the alert either (503 counts as none): the client retries it.
    if (exception instanceof StoreDiskError) {
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: { statusCode: 503, error: 'Service Unavailable', message: exception.message },
      };
    }
    if (exception instanceof StoreClosedError) {
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: { statusCode: 503, error: 'Service Unavailable', message: exception.message },
      };
    }
    this.logger.error(
      { code: 'INTERNAL_ERROR', method: req.method, path: req.path, err: exception },
      'request failed on a server fault',
    );
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error (code INTERNAL_ERROR): see the server log',
      },
    };
  }

  private announceRejection(status: number, body: Record<string, unknown>, req: Request): void {
    const reason = REJECTION_BY_STATUS[status];
    if (!reason) return;
    const message = body.message;
    const detail = Array.isArray(message) ? message.join('; ') : String(message);
    const fields = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
      string,
      unknown
    >;
    const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 64) : null);
    this.events.emit(
      ALERT_REJECTED,
      new AlertRejectedEvent(reason, status, detail, text(fields.deviceId), text(fields.id)),
    );
  }
}
