import type { Alert, AlertType } from '@app/contracts';
import type { Notification } from './channel';

/** The words a person reads (ntfy, email), in French then English: Vigie's first users are French. */
const TYPE_NAMES: Record<AlertType, { fr: string; en: string }> = {
  fire: { fr: 'incendie', en: 'fire' },
  intrusion: { fr: 'intrusion', en: 'intrusion' },
  medical: { fr: 'urgence médicale', en: 'medical emergency' },
  panic: { fr: 'alerte', en: 'panic' },
  test: { fr: 'essai', en: 'test' },
};

export interface NotificationText {
  /** `FIRE: <location> (<deviceId>)`; the email's subject is `[Vigie] ` and this. */
  title: string;
  body: string;
}

const where = (location: string | null, deviceId: string) =>
  `${location ?? 'location not set'} (${deviceId})`;

function alertLines(alert: Alert): string[] {
  const names = TYPE_NAMES[alert.type];
  const button = alert.button ? `, bouton / button ${alert.button}` : '';
  return [
    ...(alert.message ? [alert.message] : []),
    `${names.fr} / ${names.en} — ${where(alert.location, alert.deviceId)}${button}`,
    `reçue / received ${alert.receivedAt}`,
  ];
}

export function notificationText(notification: Notification): NotificationText {
  const link = notification.dashboardUrl ? [notification.dashboardUrl] : [];
  switch (notification.type) {
    case 'alert.escalated': {
      const { alert, step } = notification;
      return {
        title: `${alert.type.toUpperCase()}: ${where(alert.location, alert.deviceId)}`,
        body: [...alertLines(alert), `étape / step ${step}: non acquittée / not acknowledged`, ...link].join(
          '\n',
        ),
      };
    }
    case 'alert.acknowledged':
    case 'alert.resolved': {
      const { alert } = notification;
      const done =
        notification.type === 'alert.resolved'
          ? `résolue / resolved ${alert.resolvedAt ?? ''} (${alert.resolvedBy ?? '?'})`
          : `prise en charge / acknowledged ${alert.acknowledgedAt ?? ''} (${alert.acknowledgedBy ?? '?'})`;
      const state = notification.type === 'alert.resolved' ? 'RESOLVED' : 'ACKNOWLEDGED';
      return {
        title: `${state} ${alert.type.toUpperCase()}: ${where(alert.location, alert.deviceId)}`,
        body: [...alertLines(alert), done, ...link].join('\n'),
      };
    }
    case 'device.offline': {
      const { device } = notification;
      return {
        title: `OFFLINE: ${where(device.location, device.id)}`,
        body: [
          `bouton muet / button silent — ${where(device.location, device.id)}`,
          `dernier signe / last seen ${device.lastSeenAt}`,
          ...link,
        ].join('\n'),
      };
    }
  }
}
