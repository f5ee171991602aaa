import { ForbiddenException, Inject, Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ForeignRequest, changesState, foreignRequest } from './request-origin';

/**
 * Refuses every state-changing request that a page of another origin made, before its body is
 * read or its credentials are looked at. SameSite=Strict keeps the session cookie from other
 * sites only: a page on another port of this host (Grafana) or on a sibling host name is the
 * same site, and a form there could otherwise acknowledge or resolve real alerts. It holds for
 * every route, the device ones included: no legitimate client of this server writes from a
 * browser page of another origin (no CORS is granted), and agents send no Origin.
 */
@Injectable()
export class SameOriginMiddleware implements NestMiddleware {
  private readonly logger = new Logger('SameOrigin');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    if (!changesState(req.method)) return next();
    const foreign = foreignRequest(req, this.config.publicUrl);
    if (foreign === null) return next();
    this.logger.warn(
      {
        code: 'CROSS_ORIGIN_REFUSED',
        origin: foreign.origin ?? null,
        secFetchSite: foreign.site ?? null,
        ownOrigins: foreign.ownOrigins,
        route: `${req.method} ${req.path}`,
        address: req.ip,
      },
      // For whoever reads the log after a page of ours was refused: a proxy that rewrites Host.
      'request from a page of another origin refused (behind a proxy: set VIGIE_PUBLIC_URL, or pass Host and X-Forwarded-Proto)',
    );
    throw new ForbiddenException(refusal(foreign));
  }
}

function refusal(foreign: ForeignRequest): string {
  const own = foreign.ownOrigins.length > 0 ? foreign.ownOrigins.join(' or ') : 'none known';
  if (foreign.origin === undefined) {
    return `request refused: the browser says it comes from a ${foreign.site} page; changes are accepted only from this server's own pages (${own})`;
  }
  return `request refused: it comes from a page of another origin (Origin: ${foreign.origin}); changes are accepted only from this server's own pages (${own})`;
}
