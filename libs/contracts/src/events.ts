import type { Alert, Device, RejectionReason, TokenRefusal } from './wire';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_DUPLICATE,
  ALERT_REJECTED,
  ALERT_RESOLVED,
  DEVICE_OFFLINE,
  DEVICE_ONLINE,
  DEVICE_TOKEN_REFUSED,
  OPERATOR_SIGN_IN_FAILED,
  OPERATOR_SIGNED_IN,
  OPERATOR_SIGNED_OUT,
} from './wire';

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
