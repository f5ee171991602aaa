import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { DeviceStreamController } from './device-stream.controller';
import { DeviceStreams } from './device-streams';
import { LiveController } from './live.controller';
import { LiveHub } from './live-hub';

@Module({
  imports: [AlertsModule],
  controllers: [LiveController, DeviceStreamController],
  providers: [LiveHub, DeviceStreams],
})
export class LiveModule {}
