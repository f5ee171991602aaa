import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { ObservabilityModule } from '../observability/observability.module';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

@Module({
  imports: [DevicesModule, ObservabilityModule],
  controllers: [AlertsController],
  providers: [AlertsService, AlertsRepository],
  exports: [AlertsRepository],
})
export class AlertsModule {}
