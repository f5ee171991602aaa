import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { HeadersObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { MAX_BODY_BYTES } from '../http/json-body.middleware';
import { ErrorBody } from './resources';

const RETRY_AFTER: HeadersObject = {
  'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } },
};

/** Errors are JSON even where the route's success is not (the page, the metrics, a stream). */
const ERROR_CONTENT = { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } };

/** What each status means on most routes; a route names its own meaning where it differs. */
const USUAL_MEANING: Record<number, string> = {
  400: 'a field is invalid, missing or unknown, or the body is not a JSON object: `message` lists each fault',
  401: 'no valid credentials',
  403: 'refused: a state-changing request from a page of another origin',
  404: 'not found',
  409: 'conflicts with the stored state',
  413: `body over ${MAX_BODY_BYTES / 1024} KiB`,
  415: 'Content-Type is not application/json (required even without a body)',
  429: 'too many requests: wait for `Retry-After`',
  503: 'the store cannot take it now (disk full or failing, server stopping): retry after `Retry-After`',
};

/**
 * The error answers of a route, each in the NestJS error shape: a status alone takes its
 * usual meaning, `[status, text]` says what it means on this route.
 */
export function ApiErrors(...errors: Array<number | [number, string]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...errors.map((error) => {
      const [status, description] = typeof error === 'number' ? [error, USUAL_MEANING[error]] : error;
      const headers = status === 429 || status === 503 ? RETRY_AFTER : undefined;
      return ApiResponse({ status, description, headers, content: ERROR_CONTENT });
    }),
    ApiExtraModels(ErrorBody),
  );
}
