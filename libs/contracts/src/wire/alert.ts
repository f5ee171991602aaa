export const ALERT_TYPES = ['fire', 'intrusion', 'medical', 'panic', 'test'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** A test press is routine; every real emergency is critical unless the device says otherwise. */
export function defaultSeverity(type: AlertType): AlertSeverity {
  return type === 'test' ? 'info' : 'critical';
}

/** The alert resource, as the HTTP API returns it. */
export interface Alert {
  id: string;
  deviceId: string;
  type: AlertType;
  severity: AlertSeverity;
  location: string | null;
  message: string | null;
  button: string | null;
  triggeredAt: string;
  receivedAt: string;
  status: AlertStatus;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgementNote: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

export interface AlertPage {
  items: Alert[];
  nextCursor: string | null;
}

/** What can happen to an alert, as its timeline lists it. */
export const TIMELINE_KINDS = [
  'received',
  'escalated',
  'notification.sent',
  'notification.failed',
  'acknowledged',
  'resolved',
  'device.feedback',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** One entry of `GET /alerts/{id}/timeline`, oldest first; fields appear where they apply. */
export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  /** The notification channel, by its name in the notification file. */
  channel?: string;
  /** The escalation step (1 for the first). */
  step?: number;
  /** Why a send failed, which repeat a step is, the acknowledgement's or resolution's note. */
  detail?: string;
  /** Who acknowledged or resolved it. */
  by?: string;
}
