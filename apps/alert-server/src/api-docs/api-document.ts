import type { INestApplication } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { SecurityRequirementObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { version } from '../../../../package.json';
import { Access, routeAccess } from '../auth/access';
import { SESSION_COOKIE } from '../auth/session-cookie';

const DESCRIPTION = [
  'The HTTP API of a Vigie alert server: Raspberry Pi buttons raise alerts, operators handle them.',
  'Bodies are JSON; every error answers `{"statusCode", "error", "message"}`.',
  'With `VIGIE_AUTH=off` (a lab bench) devices and operators need no credentials.',
].join('\n\n');

const CONFIG = new DocumentBuilder()
  .setTitle('Vigie alert server')
  .setDescription(DESCRIPTION)
  .setVersion(version)
  .addBearerAuth(
    { type: 'http', scheme: 'bearer', description: 'the device token of `device add` or enrollment' },
    'device',
  )
  .addCookieAuth(
    SESSION_COOKIE,
    { type: 'apiKey', in: 'cookie', description: 'set by `POST /auth/login`' },
    'operator',
  )
  .addBearerAuth(
    { type: 'http', scheme: 'bearer', description: 'VIGIE_METRICS_TOKEN, when it is set' },
    'metrics',
  )
  .build();

/** Each access as OpenAPI security requirements; `{}` makes the metrics token optional (unset by default). */
const SECURITY: Record<Access['kind'], SecurityRequirementObject[]> = {
  public: [],
  operator: [{ operator: [] }],
  device: [{ device: [] }],
  metrics: [{ metrics: [] }, {}],
};

/**
 * The OpenAPI document of the running application, read from its controllers and DTOs. Who
 * may call each route is not declared a second time for it: it comes from the route's access
 * decorator, the one the guard enforces.
 */
export function describeApi(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, CONFIG);
  const accessByOperation = routeAccessByOperationId(app);
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      const access = accessByOperation.get((operation as { operationId?: string }).operationId ?? '');
      if (access && access.kind !== 'public')
        (operation as { security?: unknown }).security = SECURITY[access.kind];
    }
  }
  return document;
}

/** Every route handler's access, under the operation id @nestjs/swagger gives it. */
function routeAccessByOperationId(app: INestApplication): Map<string, Access> {
  const reflector = app.get(Reflector);
  const scanner = new MetadataScanner();
  const found = new Map<string, Access>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined)
          continue;
        found.set(`${metatype.name}_${name}`, routeAccess(reflector, handler, metatype));
      }
    }
  }
  return found;
}
