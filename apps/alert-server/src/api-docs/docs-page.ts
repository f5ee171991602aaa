import { join } from 'node:path';

/**
 * The API's reading page, Swagger UI from the swagger-ui-dist package, served by this server
 * (no CDN). Not @nestjs/swagger's own page: that one carries inline styles, which the
 * server's Content-Security-Policy (style-src 'self') refuses, and it would need a policy
 * of its own. This one has no inline code at all, so the one policy holds everywhere.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Vigie API</title>
    <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" />
    <link rel="stylesheet" href="/api/docs/swagger-ui.css" />
    <script defer src="/api/docs/swagger-ui-bundle.js"></script>
    <script defer src="/api/docs/start.js"></script>
  </head>
  <body>
    <div id="swagger-ui"></div>
  </body>
</html>
`;

/** Starts Swagger UI on this server's document. */
export const START_SCRIPT = `'use strict';
window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Swagger UI would otherwise send the document to an online validator and show its badge.
  validatorUrl: null,
});
`;

/** The files of swagger-ui-dist the page uses (and their source maps, for the browser's tools). */
const UI_FILES = new Set([
  'swagger-ui-bundle.js',
  'swagger-ui-bundle.js.map',
  'swagger-ui.css',
  'swagger-ui.css.map',
  'favicon-32x32.png',
]);

// Not the package's index, which would load every bundle into the server to find a folder.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const uiFolder = (require('swagger-ui-dist/absolute-path.js') as () => string)();

/** Where a page asset lies on disk, or null when the name is not one of them. */
export function uiFile(name: string): string | null {
  return UI_FILES.has(name) ? join(uiFolder, name) : null;
}
