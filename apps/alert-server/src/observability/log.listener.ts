import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_DUPLICATE,
  ALERT_REJECTED,
  ALERT_RESOLVED,
  DEVICE_OFFLINE,
  DEVICE_ONLINE,
  AlertAcknowledgedEvent,
  AlertCreatedEvent,
  AlertDuplicateEvent,
  AlertRejectedEvent,
  AlertResolvedEvent,
  DeviceOfflineEvent,
  DeviceOnlineEvent,
} from '@app/contracts';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

/** One structured line per domain event: what a technician greps for (`event`, ids, `code`). */
@Injectable()
export class LogListener {
  constructor(@InjectPinoLogger('events') private readonly logger: PinoLogger) {}

  @OnEvent(ALERT_CREATED, { async: true })
  onCreated({ alert }: AlertCreatedEvent): void {
    this.write('info', ALERT_CREATED, 'alert stored', {
      alertId: alert.id,
      deviceId: alert.deviceId,
      type: alert.type,
      severity: alert.severity,
      location: alert.location,
      button: alert.button,
      transitMs: Date.parse(alert.receivedAt) - Date.parse(alert.triggeredAt),
    });
  }

  @OnEvent(ALERT_DUPLICATE, { async: true })
  onDuplicate({ alert }: AlertDuplicateEvent): void {
    this.write('info', ALERT_DUPLICATE, 'alert retry answered from the store', {
      alertId: alert.id,
      deviceId: alert.deviceId,
    });
  }

  @OnEvent(ALERT_REJECTED, { async: true })
  onRejected(event: AlertRejectedEvent): void {
    this.write('warn', ALERT_REJECTED, 'alert refused', {
      code: `ALERT_REJECTED_${event.reason.toUpperCase()}`,
      reason: event.reason,
      statusCode: event.statusCode,
      detail: event.detail.slice(0, 1000),
      alertId: event.alertId,
      deviceId: event.deviceId,
    });
  }

  @OnEvent(ALERT_ACKNOWLEDGED, { async: true })
  onAcknowledged({ alert }: AlertAcknowledgedEvent): void {
    this.write('info', ALERT_ACKNOWLEDGED, 'alert acknowledged', {
      alertId: alert.id,
      deviceId: alert.deviceId,
      by: alert.acknowledgedBy,
    });
  }

  @OnEvent(ALERT_RESOLVED, { async: true })
  onResolved({ alert }: AlertResolvedEvent): void {
    this.write('info', ALERT_RESOLVED, 'alert resolved', {
      alertId: alert.id,
      deviceId: alert.deviceId,
      by: alert.resolvedBy,
    });
  }

  @OnEvent(DEVICE_ONLINE, { async: true })
  onDeviceOnline({ device }: DeviceOnlineEvent): void {
    this.write('info', DEVICE_ONLINE, 'device online', { deviceId: device.id, location: device.location });
  }

  @OnEvent(DEVICE_OFFLINE, { async: true })
  onDeviceOffline({ device }: DeviceOfflineEvent): void {
    this.write('warn', DEVICE_OFFLINE, 'device offline: no heartbeat or alert within the window', {
      code: 'DEVICE_OFFLINE',
      deviceId: device.id,
      location: device.location,
      lastSeenAt: device.lastSeenAt,
    });
  }

  private write(level: 'info' | 'warn', event: string, msg: string, fields: Record<string, unknown>): void {
    try {
      this.logger[level]({ event, ...fields }, msg);
    } catch {
      // Logging must never reach the request path; there is nowhere left to report this.
    }
  }
}
