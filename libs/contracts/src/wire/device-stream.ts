import type { AlertType } from './alert';

/**
 * `GET /devices/{id}/events`: what happened to the alerts a device raised, for its agent to show
 * (a light, a buzzer). Each event's data is a `DeviceAlertEvent`.
 */
export const DEVICE_ALERT_EVENTS = ['alert.stored', 'alert.acknowledged', 'alert.resolved'] as const;
export type DeviceAlertEventName = (typeof DEVICE_ALERT_EVENTS)[number];

export interface DeviceAlertEvent {
  alertId: string;
  type: AlertType;
  /** When it happened, by the server's clock (ISO 8601 UTC). */
  at: string;
  /** `alert.acknowledged` and `alert.resolved`: the operator (null when operators do not sign in). */
  by?: string | null;
}

/**
 * What a device reports it showed, with its heartbeats (`feedback`), for the alert's timeline
 * (`device.feedback`): that the person was told the alert got through, and that help is coming.
 */
export const DEVICE_FEEDBACK_SHOWN = ['stored', 'acknowledged'] as const;
export type DeviceFeedbackShown = (typeof DEVICE_FEEDBACK_SHOWN)[number];
