import type { AlertmanagerChannelConfig } from '../notify-config';
import type { Channel, Notification } from './channel';
import { httpPost } from './http-post';
import { notificationText } from './notification-text';

/** One element of the array `POST /api/v2/alerts` takes (Alertmanager's `postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/**
 * Alertmanager's view of a notification. The labels are the alert's identity there: the `id`
 * label keeps two alerts of one device apart, and nothing that changes while the alert lives
 * (step, status) may be a label, or each change would start another Alertmanager alert.
 *
 * An open alert is posted without `endsAt`: Alertmanager then ends it by itself after its
 * `resolve_timeout` (5 minutes by default) unless it is posted again, so the escalation scheduler
 * re-posts it every 60 s while it stays open. Acknowledged or resolved, it is posted with
 * `endsAt` = now, which ends it at once.
 */
export function postableAlert(notification: Notification, now: Date): PostableAlert {
  const text = notificationText(notification);
  const annotations: Record<string, string> = { summary: text.title, description: text.body };
  const link = notification.dashboardUrl ? { generatorURL: notification.dashboardUrl } : {};
  if (notification.dashboardUrl) annotations.dashboard = notification.dashboardUrl;

  if (notification.type === 'device.offline') {
    const { device } = notification;
    // No `endsAt` and no later post: no notification says a device came back, so Alertmanager's
    // resolve_timeout ends it. `severity` lets a route send it where warnings go.
    return {
      labels: {
        alertname: 'VigieDeviceOffline',
        device: device.id,
        severity: 'warning',
        ...(device.location === null ? {} : { location: device.location }),
      },
      annotations,
      // Offline is only ever said of a device that spoke, which has a time; now, were it not so.
      startsAt: device.lastSeenAt ?? new Date().toISOString(),
      ...link,
    };
  }

  const { alert } = notification;
  return {
    labels: {
      alertname: 'VigieAlert',
      id: alert.id,
      type: alert.type,
      severity: alert.severity,
      device: alert.deviceId,
      ...(alert.location === null ? {} : { location: alert.location }),
    },
    annotations,
    startsAt: alert.receivedAt,
    ...(notification.type === 'alert.escalated' ? {} : { endsAt: now.toISOString() }),
    ...link,
  };
}

export class AlertmanagerChannel implements Channel {
  readonly kind = 'alertmanager';
  private readonly alertsUrl: string;

  constructor(
    readonly name: string,
    config: AlertmanagerChannelConfig,
  ) {
    // Keeps a path prefix (an Alertmanager behind a proxy, or run with --web.route-prefix).
    this.alertsUrl = `${config.url.replace(/\/+$/, '')}/api/v2/alerts`;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    await httpPost(
      {
        url: this.alertsUrl,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([postableAlert(notification, new Date())]),
      },
      signal,
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
