import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_RESOLVED,
  AlertAcknowledgedEvent,
  AlertCreatedEvent,
  AlertResolvedEvent,
  DEVICE_OFFLINE,
  Device,
  DeviceOfflineEvent,
} from '@app/contracts';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OnDomainEvent } from '../events/domain-events';
import { escalationSchedule } from './escalation-schedule';
import { ruleFor } from './notify-config';
import { NotificationChannels } from './notification-channels';
import { NotificationScheduler } from './notification-scheduler';
import { NotificationsRepository } from './notifications.repository';

/**
 * What the notifications learn from events. An alert's escalation is stored with the alert and
 * ended with its handling (in their transactions); here the scheduler is only told to look now
 * rather than at its next tick. A device gone offline is known from its event only, so its
 * notifications are stored here. Never in the path that accepts an alert.
 */
@Injectable()
export class NotificationsListener {
  private readonly logger = new Logger('Notifications');

  constructor(
    private readonly scheduler: NotificationScheduler,
    private readonly repository: NotificationsRepository,
    private readonly channels: NotificationChannels,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Its first step may be due at once, or later: the scheduler looks when it is due. */
  @OnDomainEvent(ALERT_CREATED)
  onCreated({ alert }: AlertCreatedEvent): void {
    const rule = ruleFor(this.config.notify, alert);
    const first = rule ? escalationSchedule(rule.steps)[0] : undefined;
    if (first) this.scheduler.kickAt(Date.parse(alert.receivedAt) + first.offsetMs);
  }

  /** The channels told of it are to hear that someone is on it (Alertmanager) or that it is over. */
  @OnDomainEvent(ALERT_ACKNOWLEDGED)
  onAcknowledged(_event: AlertAcknowledgedEvent): void {
    this.scheduler.kick();
  }

  @OnDomainEvent(ALERT_RESOLVED)
  onResolved(_event: AlertResolvedEvent): void {
    this.scheduler.kick();
  }

  @OnDomainEvent(DEVICE_OFFLINE)
  onDeviceOffline({ device }: DeviceOfflineEvent): void {
    void this.announceOffline(device);
  }

  private async announceOffline(device: Device): Promise<void> {
    const route = this.config.notify.deviceOffline;
    if (!route) return;
    const channels = this.channels.refs().filter((channel) => route.notify.includes(channel.name));
    try {
      await this.repository.announceDeviceOffline(device.id, new Date().toISOString(), channels);
      this.scheduler.kick();
    } catch (error) {
      this.logger.error(
        { code: 'NOTIFICATION_NOT_STORED', deviceId: device.id, err: error },
        'the device went offline but its notifications could not be stored',
      );
    }
  }
}
