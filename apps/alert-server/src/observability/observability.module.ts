import { Global, Module } from '@nestjs/common';
import { IngestTimingInterceptor } from './ingest-timing.interceptor';
import { LogListener } from './log.listener';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics.listener';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsListener, LogListener, IngestTimingInterceptor],
  exports: [MetricsService, IngestTimingInterceptor],
})
export class ObservabilityModule {}
