import { Injectable, OnModuleInit } from '@nestjs/common';
import { AlertsRepository } from '../alerts/alerts.repository';
import { DeviceAuthService } from '../auth/device-auth.service';
import { DevicesService } from '../devices/devices.service';
import { NotificationsRepository } from '../notifications/notifications.repository';
import { Store } from '../store/store';
import { MetricsService } from './metrics.service';

/** Points the state gauges at the store, the device registry and the escalations, without a module cycle. */
@Injectable()
export class MetricsStateBinding implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly alerts: AlertsRepository,
    private readonly devices: DevicesService,
    private readonly deviceAuth: DeviceAuthService,
    private readonly notifications: NotificationsRepository,
    private readonly store: Store,
  ) {}

  onModuleInit(): void {
    this.metrics.useStateSource({
      openAlerts: () => this.alerts.countByStatus('open'),
      openAlertsPastEscalation: (now) => this.notifications.countOpenPastLastStep(now),
      devices: () => this.devices.list(),
      tokens: () => this.deviceAuth.withValidToken(),
      ready: () =>
        this.store.ping().then(
          () => true,
          () => false,
        ),
    });
  }
}
