import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Response } from 'express';
import { PublicAccess } from '../auth/access';
import { ApiDocsService } from './api-docs.service';
import { DOCS_PAGE } from './docs-page';
import { ApiErrors } from './responses';

/**
 * The API described, for programs and for people. Ordinary routes, under the same guard as
 * the rest: public on purpose, like the dashboard page, since they hold no data.
 */
@ApiTags('documentation')
@Controller('api')
@PublicAccess()
export class ApiDocsController {
  constructor(private readonly docs: ApiDocsService) {}

  @Get('openapi.json')
  @ApiOperation({ summary: 'This document: every route, its statuses and its error shape (OpenAPI 3)' })
  @ApiOkResponse({ description: 'the OpenAPI document', schema: { type: 'object' } })
  openApi(): OpenAPIObject {
    return this.docs.document();
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({ summary: 'The API to read and try in a browser (Swagger UI, served locally)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'the page', schema: { type: 'string' } })
  page(): string {
    return DOCS_PAGE;
  }

  @Get('docs/:name')
  @ApiOperation({ summary: "A script, style sheet or icon of the API's page" })
  @ApiProduces('application/javascript', 'text/css', 'image/png')
  @ApiOkResponse({ description: 'the file' })
  @ApiErrors([404, 'no such asset'])
  asset(@Param('name') name: string, @Res() res: Response): void {
    this.docs.sendAsset(name, res);
  }
}
