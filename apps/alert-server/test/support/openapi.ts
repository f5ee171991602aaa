import type { NestExpressApplication } from '@nestjs/platform-express';

/** One route: `GET /alerts/{id}`, with the path as OpenAPI writes it. */
export type RouteKey = `${string} ${string}`;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** How Nest registers a middleware for every path (`forRoutes('*')`): it passes, never answers. */
const EVERY_PATH = '/{*path}';

/**
 * What the running server really answers: every route in Express's router, whoever put it
 * there (a controller, or anything registering on the HTTP adapter directly). Middleware has
 * no route, or the same route as the handler it runs before, or the every-path one.
 */
export function answeredRoutes(app: NestExpressApplication): RouteKey[] {
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } }).router;
  const routes = new Set<RouteKey>();
  for (const layer of router.stack) {
    if (!layer.route) continue;
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const path of paths.filter((candidate) => candidate !== EVERY_PATH)) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') routes.add(`${method.toUpperCase()} ${openApiPath(path)}`);
      }
    }
  }
  return [...routes].sort();
}

/** Express's `/alerts/:id` as OpenAPI's `/alerts/{id}`. */
export function openApiPath(expressPath: string): string {
  const path = expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

export interface DocumentedOperation {
  key: RouteKey;
  method: string;
  path: string;
  operation: {
    summary?: string;
    security?: Array<Record<string, string[]>>;
    responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  };
}

/** Every operation of an OpenAPI document. */
export function documentedOperations(document: {
  paths: Record<string, Record<string, unknown>>;
}): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({
        key: `${method.toUpperCase()} ${path}`,
        method,
        path,
        operation: operation as DocumentedOperation['operation'],
      })),
  );
}
