import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../api-docs/responses';
import { PublicAccess } from '../auth/access';

/**
 * Where `npm run build` puts the page: beside the bundled main.js when it runs from dist/;
 * the same built folder when the server runs from its sources (ts-jest).
 */
export function dashboardRoot(): string {
  const candidates = [
    join(__dirname, 'dashboard'),
    resolve(__dirname, '../../../../dist/apps/alert-server/dashboard'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0];
}

const ASSET_NAME = /^[A-Za-z0-9_-]+\.(js|css)(\.map)?$/;

/** The page and its assets hold no data: the page asks the operator to sign in. */
@ApiTags('dashboard')
@Controller()
@PublicAccess()
export class DashboardController {
  private readonly root = dashboardRoot();

  /** The page itself is never cached, so a new release shows at the next load. */
  @Get()
  @ApiOperation({ summary: 'The security-post dashboard (it asks the operator to sign in)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'the page', schema: { type: 'string' } })
  @ApiErrors([404, 'the page is not built (`npm run build`)'])
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get('assets/:name')
  @ApiOperation({ summary: 'A script or style sheet of the dashboard' })
  @ApiProduces('application/javascript', 'text/css')
  @ApiOkResponse({ description: 'the file' })
  @ApiErrors([404, 'no such asset'])
  asset(@Param('name') name: string, @Res() res: Response): void {
    if (!ASSET_NAME.test(name)) throw new NotFoundException();
    this.send(res, join('assets', name));
  }

  private send(res: Response, file: string): void {
    // Asset names carry no hash: revalidate with the ETag each time (cheap, and always fresh).
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(file, { root: this.root }, (error?: Error) => {
      if (error && !res.headersSent) {
        res.status(404).json({ statusCode: 404, error: 'Not Found', message: `${file} is not built` });
      }
    });
  }
}
