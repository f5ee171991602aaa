import type { Alert, Device } from '@app/contracts';
import type { ChannelKind } from '../notify-config';

/**
 * What a notification tells. The webhook body and the MQTT payload are its JSON:
 * `{"type", "step", "alert"|"device"}` (MQTT adds `notificationId`).
 * - `alert.escalated`: a step of the alert's rule is due and the alert is still open.
 * - `alert.acknowledged`: only to Alertmanager, which must end the alert it holds.
 * - `alert.resolved`: to every channel that was told of the alert.
 * - `device.offline`: a button went silent.
 */
export type NotificationSubject =
  | { type: 'alert.escalated'; /** 1 for the rule's first step. */ step: number; alert: Alert }
  | { type: 'alert.acknowledged'; step: null; alert: Alert }
  | { type: 'alert.resolved'; step: null; alert: Alert }
  | { type: 'device.offline'; step: null; device: Device };

export type Notification = NotificationSubject & {
  /**
   * Stable across every attempt to send this notification (and across restarts): a receiver
   * drops the rare duplicate by it (`webhook-id`, ntfy `X-Vigie-Notification`, email
   * `Message-ID`, MQTT `notificationId`).
   */
  id: string;
  /** The dashboard's address for links (`VIGIE_PUBLIC_URL`); null when not configured. */
  dashboardUrl: string | null;
};

/** One configured channel, ready to send. */
export interface Channel {
  readonly name: string;
  readonly kind: ChannelKind;
  /**
   * Resolves once the receiver has accepted the notification (HTTP 2xx, SMTP 250, MQTT PUBACK);
   * rejects with a `ChannelSendError` otherwise. Gives up as soon as `signal` aborts (the
   * scheduler's timeout): a receiver that hangs must never hold anything else.
   */
  send(notification: Notification, signal: AbortSignal): Promise<void>;
  /** Closes connections kept between sends (MQTT, SMTP pool); sends after it fail. */
  close(): Promise<void>;
}

/**
 * A send that did not reach its receiver. `reason` is short and stable (`timeout`,
 * `connection_refused`, `http_503`, `smtp_550`, `tls`...): it goes in logs, in the alert's
 * timeline and in tests; `message` says it for a person.
 */
export class ChannelSendError extends Error {
  readonly code = 'NOTIFICATION_SEND_FAILED';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
