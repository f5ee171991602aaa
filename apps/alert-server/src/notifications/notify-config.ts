import type { AlertSeverity, AlertType } from '@app/contracts';

/**
 * The notification file (`VIGIE_NOTIFY_FILE`) once read, substituted and validated: channels,
 * escalation rules and the device-offline route. Durations are milliseconds; every channel a
 * step or route names exists in `channels`.
 */
export interface NotifyConfig {
  /** The file it came from; null when `VIGIE_NOTIFY_FILE` is unset (the dashboard only). */
  file: string | null;
  channels: ReadonlyMap<string, ChannelConfig>;
  /** The first rule whose match fits an alert wins; no rule fitting: no notification. */
  escalation: readonly EscalationRule[];
  /** Where a device that went offline is announced; null: nowhere but the dashboard. */
  deviceOffline: { notify: readonly string[] } | null;
}

export const CHANNEL_KINDS = ['webhook', 'ntfy', 'email', 'mqtt', 'alertmanager'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Standard Webhooks: POST JSON signed with HMAC-SHA256 of `id.timestamp.body`. */
export interface WebhookChannelConfig {
  kind: 'webhook';
  url: string;
  /** `whsec_` followed by the base64 of the key (the Standard Webhooks form), as given. */
  secret: string;
}

/** ntfy's publish protocol: POST the text to the topic's URL. */
export interface NtfyChannelConfig {
  kind: 'ntfy';
  url: string;
  /** An access token (`Authorization: Bearer`); null: an open topic. */
  token: string | null;
}

export interface EmailChannelConfig {
  kind: 'email';
  /** `smtp://[user:password@]host[:port]` (STARTTLS when offered) or `smtps://` (TLS at once). */
  smtp: string;
  from: string;
  to: readonly string[];
  /** A PEM file of the CA to trust for the server's certificate (a private CA); null: the system's. */
  ca: string | null;
}

export interface MqttChannelConfig {
  kind: 'mqtt';
  /** `mqtt://[user:password@]host[:port]` or `mqtts://`. */
  url: string;
  /** Prefix of the topics: `<topic>/alerts/<type>`, `<topic>/devices/offline`. */
  topic: string;
  ca: string | null;
}

/** Alertmanager's API v2 (`POST /api/v2/alerts`). */
export interface AlertmanagerChannelConfig {
  kind: 'alertmanager';
  /** Alertmanager's base URL, e.g. `http://127.0.0.1:9093`. */
  url: string;
}

export type ChannelConfig =
  | WebhookChannelConfig
  | NtfyChannelConfig
  | EmailChannelConfig
  | MqttChannelConfig
  | AlertmanagerChannelConfig;

export interface EscalationRule {
  /**
   * null: any. A rule fits an alert of type `test` only if its `type` names `test`: drills
   * follow their own rule, never a catch-all's.
   */
  match: { type: readonly AlertType[] | null; severity: readonly AlertSeverity[] | null };
  steps: readonly EscalationStep[];
}

export interface EscalationStep {
  /** Due at the alert's `receivedAt` plus this. */
  afterMs: number;
  /** Channel names. */
  notify: readonly string[];
  /** Sent again at this interval until the alert is acknowledged (at most 20 times); null: once. */
  repeatMs: number | null;
}

/** A step's repeats stop after this many, acknowledged or not. */
export const MAX_REPEATS = 20;

/** The rule that escalates an alert: the first whose match fits; null: nobody is notified. */
export function ruleFor(
  config: Pick<NotifyConfig, 'escalation'>,
  alert: { type: AlertType; severity: AlertSeverity },
): EscalationRule | null {
  return config.escalation.find((rule) => fits(rule.match, alert)) ?? null;
}

function fits(match: EscalationRule['match'], alert: { type: AlertType; severity: AlertSeverity }): boolean {
  // A drill that reached the catch-all rule would wake the people it is meant to spare.
  const typeFits = match.type === null ? alert.type !== 'test' : match.type.includes(alert.type);
  return typeFits && (match.severity === null || match.severity.includes(alert.severity));
}
