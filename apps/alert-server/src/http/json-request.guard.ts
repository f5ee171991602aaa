import { CanActivate, ExecutionContext, Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ACCESS, Access } from '../auth/access';
import { changesState } from './request-origin';

const JSON_MEDIA_TYPE = /^application\/(?:[^\s/;]+\+)?json\s*(?:;|$)/i;

/**
 * A state-changing request to a route a browser can reach with the operator's cookie (or with
 * none: sign-in) must say `Content-Type: application/json`, even without a body. An HTML form
 * or a no-cors fetch from another page can only send text/plain, form-urlencoded or multipart;
 * a JSON one needs a CORS preflight, which this server refuses. So this holds even where no
 * Origin came to check (an old browser, a stripping proxy). Device routes are exempt: a page
 * cannot attach their bearer token without a preflight either, and agents rely on today's
 * answers (an empty `POST /alerts` gets its 400 listing the missing fields).
 */
@Injectable()
export class JsonRequestGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!changesState(req.method)) return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access?.kind === 'device') return true;
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && JSON_MEDIA_TYPE.test(contentType)) return true;
    throw new UnsupportedMediaTypeException(
      contentType === undefined
        ? 'Content-Type: application/json is required, even without a body'
        : `Content-Type must be application/json, not ${contentType}, even without a body`,
    );
  }
}
