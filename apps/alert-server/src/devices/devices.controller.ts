import { Body, Controller, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Device, DEVICE_ID_PATTERN, HeartbeatDto } from '@app/contracts';
import { DeviceResource } from '../api-docs/resources';
import { ApiErrors } from '../api-docs/responses';
import { DeviceAccess } from '../auth/access';
import { DeviceRateLimit } from '../auth/rate-limit.guard';
import { DeviceIdPipe } from './device-id.pipe';
import { DevicesService } from './devices.service';

@ApiTags('devices')
@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Put(':deviceId/heartbeat')
  @DeviceAccess('param')
  @DeviceRateLimit()
  @HttpCode(204)
  @ApiParam({ name: 'deviceId', schema: { type: 'string', pattern: DEVICE_ID_PATTERN.source } })
  @ApiOperation({
    summary: 'A device says it is alive',
    description: 'A device is known from its first heartbeat or alert.',
  })
  @ApiNoContentResponse({ description: 'noted' })
  @ApiErrors(
    [
      400,
      'a field is invalid or unknown, the body is not a JSON object, or the path names no valid device id',
    ],
    [401, 'missing, unknown or revoked device token'],
    [403, "a token of another device than the path's, or a request from another origin's page"],
    413,
    [415, 'body not JSON'],
    [
      429,
      'this device sends more than any agent does, or this address sent bad tokens: wait for `Retry-After`',
    ],
    503,
  )
  heartbeat(@Param('deviceId', DeviceIdPipe) deviceId: string, @Body() dto: HeartbeatDto): Promise<void> {
    return this.devices.heartbeat(deviceId, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'Every known device, with its liveness',
    description:
      'Devices that spoke, and devices added or enrolled that never did (offline, `lastSeenAt` null).',
  })
  @ApiOkResponse({ type: [DeviceResource] })
  @ApiErrors([401, 'no operator session: sign in first'])
  list(): Promise<Device[]> {
    return this.devices.list();
  }
}
