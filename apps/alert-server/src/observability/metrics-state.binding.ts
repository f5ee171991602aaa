import { Injectable, OnModuleInit } from '@nestjs/common';
import { AlertsRepository } from '../alerts/alerts.repository';
import { DevicesService } from '../devices/devices.service';
import { MetricsService } from './metrics.service';

/** Points the state gauges at the store and the device registry, without a module cycle. */
@Injectable()
export class MetricsStateBinding implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly alerts: AlertsRepository,
    private readonly devices: DevicesService,
  ) {}

  onModuleInit(): void {
    this.metrics.useStateSource({
      openAlerts: () => this.alerts.countByStatus('open'),
      devices: () => this.devices.list(),
    });
  }
}
