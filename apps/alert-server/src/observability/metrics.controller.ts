import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../api-docs/responses';
import { MetricsAccess } from '../auth/access';
import { NoAccessLog } from '../http/route-traits';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
@MetricsAccess()
@NoAccessLog()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Metrics for Prometheus' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format', schema: { type: 'string' } })
  @ApiErrors([401, 'VIGIE_METRICS_TOKEN is set and this is not `Authorization: Bearer <it>`'])
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
