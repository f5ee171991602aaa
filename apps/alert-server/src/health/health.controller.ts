import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { PublicAccess } from '../auth/access';
import { StoreHealthIndicator } from './store.health';

@Controller('health')
@PublicAccess()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: StoreHealthIndicator,
  ) {}

  /** The process runs and answers: nothing else is checked, so a busy store never restarts it. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** 503 while the store does not answer: take this instance out of rotation. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.store.isReady()]);
  }
}
