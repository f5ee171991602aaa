import { Injectable, NotFoundException } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Response } from 'express';
import { START_SCRIPT, uiFile } from './docs-page';

/**
 * Holds the OpenAPI document. It is read from the whole application, which no provider can
 * see: createServer hands over how to describe it, and it is built at the first request
 * (start-up does not pay for a page few people open).
 */
@Injectable()
export class ApiDocsService {
  private describe: (() => OpenAPIObject) | null = null;
  private built: OpenAPIObject | null = null;

  describeWith(describe: () => OpenAPIObject): void {
    this.describe = describe;
    this.built = null;
  }

  document(): OpenAPIObject {
    if (!this.describe) throw new Error('the OpenAPI document was never described (see createServer)');
    this.built ??= this.describe();
    return this.built;
  }

  sendAsset(name: string, res: Response): void {
    // The page's own starter is not a file: it lives beside the page that loads it.
    if (name === 'start.js') {
      res.type('application/javascript').send(START_SCRIPT);
      return;
    }
    const file = uiFile(name);
    if (!file) throw new NotFoundException(`no asset ${name} in the API page`);
    // swagger-ui-dist's files change only with the package: revalidate by ETag, like the dashboard.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(file, (error?: Error) => {
      if (error && !res.headersSent) {
        res.status(404).json({ statusCode: 404, error: 'Not Found', message: `${name} is not installed` });
      }
    });
  }
}
