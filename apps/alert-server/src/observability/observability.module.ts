import { Global, Module } from '@nestjs/common';
import { LogListener } from './log.listener';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics.listener';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsListener, LogListener],
  exports: [MetricsService],
})
export class ObservabilityModule {}
