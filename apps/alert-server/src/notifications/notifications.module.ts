import { BeforeApplicationShutdown, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../observability/metrics.service';
import { createChannel } from './channels/create-channel';
import { NotificationChannels } from './notification-channels';
import { NotificationScheduler } from './notification-scheduler';
import { NotificationsListener } from './notifications.listener';
import { NotificationsRepository } from './notifications.repository';

/** Channels, escalation and the outbox: started with the server, stopped before the store closes. */
@Module({
  providers: [
    NotificationsRepository,
    NotificationsListener,
    {
      provide: NotificationChannels,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new NotificationChannels(
          [...config.notify.channels].map(([name, channel]) => createChannel(name, channel)),
        ),
    },
    {
      provide: NotificationScheduler,
      inject: [NotificationsRepository, NotificationChannels, MetricsService, APP_CONFIG],
      useFactory: (
        repository: NotificationsRepository,
        channels: NotificationChannels,
        metrics: MetricsService,
        config: AppConfig,
      ) =>
        new NotificationScheduler(repository, channels, metrics, {
          dashboardUrl: config.publicUrl?.href ?? null,
        }),
    },
  ],
  exports: [NotificationsRepository],
})
export class NotificationsModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly scheduler: NotificationScheduler,
    private readonly channels: NotificationChannels,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.knowChannels([...this.config.notify.channels.keys()]);
    this.metrics.knowSteps(Math.max(0, ...this.config.notify.escalation.map((rule) => rule.steps.length)));
    this.scheduler.start();
  }

  /** Before the store closes: the sends in flight are recorded while it still can. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler.stop();
  }
}
