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

/** Audit events of contract §6: who signed in, and which device token was refused. */
export const DEVICE_TOKEN_REFUSED = 'device.token_refused';
export const OPERATOR_SIGNED_IN = 'operator.signed_in';
export const OPERATOR_SIGN_IN_FAILED = 'operator.sign_in_failed';
export const OPERATOR_SIGNED_OUT = 'operator.signed_out';

/** `missing`/`unknown`/`revoked` answer 401; `other_device` (a valid token of another device) 403. */
export type TokenRefusal = 'missing' | 'unknown' | 'revoked' | 'other_device';

export class DeviceTokenRefusedEvent {
  constructor(
    readonly reason: TokenRefusal,
    /** The device the request spoke for, when it named one. */
    readonly deviceId: string | null,
    /** The device the token belongs to, when it is a known token. */
    readonly tokenDeviceId: string | null,
    readonly address: string,
    readonly route: string,
  ) {}
}

export class OperatorSignedInEvent {
  constructor(
    readonly operator: string,
    readonly address: string,
  ) {}
}

export class OperatorSignInFailedEvent {
  constructor(
    /** The name as typed (it may be no operator's). */
    readonly name: string,
    readonly address: string,
    /** Failures from this address in the current window, this one included. */
    readonly recentFailures: number,
  ) {}
}

export class OperatorSignedOutEvent {
  constructor(
    readonly operator: string,
    readonly address: string,
  ) {}
}

/**
 * Every domain event by name, with its payload. The server emits and listens through this map,
 * so an event sent or awaited with another payload than its own does not compile.
 */
export interface DomainEventMap {
  [ALERT_CREATED]: AlertCreatedEvent;
  [ALERT_DUPLICATE]: AlertDuplicateEvent;
  [ALERT_REJECTED]: AlertRejectedEvent;
  [ALERT_ACKNOWLEDGED]: AlertAcknowledgedEvent;
  [ALERT_RESOLVED]: AlertResolvedEvent;
  [DEVICE_ONLINE]: DeviceOnlineEvent;
  [DEVICE_OFFLINE]: DeviceOfflineEvent;
  [DEVICE_TOKEN_REFUSED]: DeviceTokenRefusedEvent;
  [OPERATOR_SIGNED_IN]: OperatorSignedInEvent;
  [OPERATOR_SIGN_IN_FAILED]: OperatorSignInFailedEvent;
  [OPERATOR_SIGNED_OUT]: OperatorSignedOutEvent;
}

export type DomainEventName = keyof DomainEventMap;
