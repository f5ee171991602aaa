import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PublicAccess } from '../auth/access';
import { NoAccessLog } from '../http/route-traits';
import { StoreHealthIndicator } from './store.health';

@ApiTags('operations')
@Controller('health')
@PublicAccess()
@NoAccessLog()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: StoreHealthIndicator,
  ) {}

  /** The process runs and answers: nothing else is checked, so a busy store never restarts it. */
  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'The process runs (200 while it does)' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** 503 while the store does not answer: take this instance out of rotation. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'The store answers: 200, else 503 naming what fails' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.store.isReady()]);
  }
}
