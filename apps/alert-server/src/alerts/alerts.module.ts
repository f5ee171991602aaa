import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

@Module({
  imports: [DevicesModule],
  controllers: [AlertsController],
  providers: [AlertsService, AlertsRepository],
  exports: [AlertsRepository],
})
export class AlertsModule {}
