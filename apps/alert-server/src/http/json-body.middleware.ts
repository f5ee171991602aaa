import {
  BadRequestException,
  HttpException,
  Injectable,
  NestMiddleware,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { raw } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { parseJsonObject } from './json-body';
import { stampReception } from './received-at';

export const MAX_BODY_BYTES = 16 * 1024;

const readBytes = raw({ type: () => true, limit: MAX_BODY_BYTES, inflate: false });

/**
 * The API speaks JSON objects only. Errors are thrown as HTTP exceptions so
 * the one exception filter answers them in the NestJS error shape like every other fault.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    stampReception(req);
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || !hasBody(req)) {
      req.body = {};
      return next();
    }
    if (!req.is(['application/json', 'application/*+json'])) {
      throw new UnsupportedMediaTypeException(
        `Content-Type must be application/json, not ${req.headers['content-type'] ?? 'absent'}`,
      );
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) {
      throw new UnsupportedMediaTypeException(`body must be UTF-8 JSON, not charset ${charset}`);
    }
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      readBytes(req, res, (error?: unknown) => {
        if (error) reject(toHttpError(error));
        else resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      });
    });
    const parsed = parseJsonObject(bytes);
    if (!parsed.ok) throw new BadRequestException(parsed.messages);
    req.body = parsed.value;
    next();
  }
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function toHttpError(error: unknown): HttpException {
  const type = (error as { type?: string }).type;
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeException(`body must be at most ${MAX_BODY_BYTES} bytes (16 KiB)`);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeException(`body must be UTF-8 JSON: ${(error as Error).message}`);
    default:
      return new BadRequestException(`body could not be read: ${(error as Error).message}`);
  }
}
