import { Injectable } from '@nestjs/common';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_DUPLICATE,
  ALERT_REJECTED,
  ALERT_RESOLVED,
  DEVICE_OFFLINE,
  DEVICE_ONLINE,
  DEVICE_TOKEN_REFUSED,
  OPERATOR_SIGNED_IN,
  OPERATOR_SIGNED_OUT,
  OPERATOR_SIGN_IN_FAILED,
  DeviceTokenRefusedEvent,
  OperatorSignInFailedEvent,
  OperatorSignedInEvent,
  OperatorSignedOutEvent,
  AlertAcknowledgedEvent,
  AlertCreatedEvent,
  AlertDuplicateEvent,
  AlertRejectedEvent,
  AlertResolvedEvent,
  DeviceOfflineEvent,
  DeviceOnlineEvent,
} from '@app/contracts';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { alertTransit } from './alert-transit';
import { OnDomainEvent } from '../events/domain-events';

/** One structured line per domain event: what a technician greps for (`event`, ids, `code`). */
@Injectable()
export class LogListener {
  constructor(@InjectPinoLogger('events') private readonly logger: PinoLogger) {}

  @OnDomainEvent(ALERT_CREATED)
  onCreated({ alert }: AlertCreatedEvent): void {
    const transit = alertTransit(alert);
    const skewed = transit.kind === 'clock_skew';
    this.write(skewed ? 'warn' : 'info', ALERT_CREATED, 'alert stored', {
      ...(skewed
        ? { code: 'DEVICE_CLOCK_SKEW', clockSkew: transit.direction, triggeredAt: alert.triggeredAt }
        : {}),
      alertId: alert.id,
      deviceId: alert.deviceId,
      type: alert.type,
      severity: alert.severity,
      location: alert.location,
      button: alert.button,
      transitMs: Date.parse(alert.receivedAt) - Date.parse(alert.triggeredAt),
    });
  }

  @OnDomainEvent(ALERT_DUPLICATE)
  onDuplicate({ alert }: AlertDuplicateEvent): void {
    this.write('info', ALERT_DUPLICATE, 'alert retry answered from the store', {
      alertId: alert.id,
      deviceId: alert.deviceId,
    });
  }

  @OnDomainEvent(ALERT_REJECTED)
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

  @OnDomainEvent(ALERT_ACKNOWLEDGED)
  onAcknowledged({ alert }: AlertAcknowledgedEvent): void {
    this.write('info', ALERT_ACKNOWLEDGED, 'alert acknowledged', {
      code: 'ALERT_ACKNOWLEDGED',
      alertId: alert.id,
      deviceId: alert.deviceId,
      by: alert.acknowledgedBy,
    });
  }

  @OnDomainEvent(ALERT_RESOLVED)
  onResolved({ alert }: AlertResolvedEvent): void {
    this.write('info', ALERT_RESOLVED, 'alert resolved', {
      code: 'ALERT_RESOLVED',
      alertId: alert.id,
      deviceId: alert.deviceId,
      by: alert.resolvedBy,
    });
  }

  @OnDomainEvent(DEVICE_ONLINE)
  onDeviceOnline({ device }: DeviceOnlineEvent): void {
    this.write('info', DEVICE_ONLINE, 'device online', { deviceId: device.id, location: device.location });
  }

  @OnDomainEvent(DEVICE_OFFLINE)
  onDeviceOffline({ device }: DeviceOfflineEvent): void {
    this.write('warn', DEVICE_OFFLINE, 'device offline: no heartbeat or alert within the window', {
      code: 'DEVICE_OFFLINE',
      deviceId: device.id,
      location: device.location,
      lastSeenAt: device.lastSeenAt,
    });
  }

  @OnDomainEvent(DEVICE_TOKEN_REFUSED)
  onDeviceTokenRefused(event: DeviceTokenRefusedEvent): void {
    this.write('warn', DEVICE_TOKEN_REFUSED, 'device token refused', {
      code: 'DEVICE_TOKEN_REFUSED',
      reason: event.reason,
      deviceId: event.deviceId,
      tokenDeviceId: event.tokenDeviceId,
      address: event.address,
      route: event.route,
    });
  }

  @OnDomainEvent(OPERATOR_SIGNED_IN)
  onSignedIn(event: OperatorSignedInEvent): void {
    this.write('info', OPERATOR_SIGNED_IN, 'operator signed in', {
      code: 'OPERATOR_SIGNED_IN',
      operator: event.operator,
      address: event.address,
    });
  }

  @OnDomainEvent(OPERATOR_SIGN_IN_FAILED)
  onSignInFailed(event: OperatorSignInFailedEvent): void {
    this.write('warn', OPERATOR_SIGN_IN_FAILED, 'sign-in refused: wrong name or password', {
      code: 'OPERATOR_SIGN_IN_FAILED',
      name: event.name,
      address: event.address,
      recentFailures: event.recentFailures,
    });
  }

  @OnDomainEvent(OPERATOR_SIGNED_OUT)
  onSignedOut(event: OperatorSignedOutEvent): void {
    this.write('info', OPERATOR_SIGNED_OUT, 'operator signed out', {
      code: 'OPERATOR_SIGNED_OUT',
      operator: event.operator,
      address: event.address,
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
