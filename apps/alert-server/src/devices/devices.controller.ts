import { Body, Controller, Get, HttpCode, Param, Put } from '@nestjs/common';
import { Device, HeartbeatDto } from '@app/contracts';
import { DeviceAccess } from '../auth/access';
import { DeviceRateLimit } from '../auth/rate-limit.guard';
import { DeviceIdPipe } from './device-id.pipe';
import { DevicesService } from './devices.service';

@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Put(':deviceId/heartbeat')
  @DeviceAccess('param')
  @DeviceRateLimit()
  @HttpCode(204)
  heartbeat(@Param('deviceId', DeviceIdPipe) deviceId: string, @Body() dto: HeartbeatDto): Promise<void> {
    return this.devices.heartbeat(deviceId, dto);
  }

  @Get()
  list(): Device[] {
    return this.devices.list();
  }
}
