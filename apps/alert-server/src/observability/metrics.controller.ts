import { Controller, Get, Header } from '@nestjs/common';
import { MetricsAccess } from '../auth/access';
import { MetricsService } from './metrics.service';

@Controller('metrics')
@MetricsAccess()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
