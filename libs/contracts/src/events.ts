import type { Alert } from './alert';
import type { Device } from './device';

/** Domain event names: the SSE stream and the logs use the same strings. */
export const ALERT_CREATED = 'alert.created';
export const ALERT_DUPLICATE = 'alert.duplicate';
export const ALERT_REJECTED = 'alert.rejected';
export const ALERT_ACKNOWLEDGED = 'alert.acknowledged';
export const ALERT_RESOLVED = 'alert.resolved';
export const DEVICE_ONLINE = 'device.online';
export const DEVICE_OFFLINE = 'device.offline';

export const REJECTION_REASONS = [
  'validation',
  'conflict',
  'too_large',
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'rate_limited',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** `ingestSeconds`: from reception to the durable commit (validation included). */
export class AlertCreatedEvent {
  constructor(
    readonly alert: Alert,
    readonly ingestSeconds: number,
  ) {}
}

/** A retry answered from the store: the device did not see our first answer. */
export class AlertDuplicateEvent {
  constructor(
    readonly alert: Alert,
    readonly ingestSeconds: number,
  ) {}
}

export class AlertRejectedEvent {
  constructor(
    readonly reason: RejectionReason,
    readonly statusCode: number,
    readonly detail: string,
    readonly deviceId: string | null,
    readonly alertId: string | null,
  ) {}
}

export class AlertAcknowledgedEvent {
  constructor(readonly alert: Alert) {}
}

export class AlertResolvedEvent {
  /** `wasOpen`: resolved straight from open, so it also leaves the open count. */
  constructor(
    readonly alert: Alert,
    readonly wasOpen: boolean,
  ) {}
}

export class DeviceOnlineEvent {
  constructor(readonly device: Device) {}
}

export class DeviceOfflineEvent {
  constructor(readonly device: Device) {}
}
