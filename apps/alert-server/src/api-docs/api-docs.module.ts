import { Module } from '@nestjs/common';
import { ApiDocsController } from './api-docs.controller';
import { ApiDocsService } from './api-docs.service';

/** `GET /api/openapi.json` and the page that reads it, `GET /api/docs`. */
@Module({ controllers: [ApiDocsController], providers: [ApiDocsService] })
export class ApiDocsModule {}
