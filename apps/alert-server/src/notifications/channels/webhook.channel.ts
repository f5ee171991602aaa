import { createHmac } from 'node:crypto';
import type { Alert, Device } from '@app/contracts';
import type { WebhookChannelConfig } from '../notify-config';
import type { Channel, Notification } from './channel';
import { httpPost } from './http-post';

export type WebhookBody =
  | { type: Exclude<Notification['type'], 'device.offline'>; step: number | null; alert: Alert }
  | { type: 'device.offline'; step: null; device: Device };

/**
 * What a receiver is told: the subject alone. The notification's id travels in `webhook-id` and
 * the dashboard's address is the server's business, so neither is in the body.
 */
export function webhookBody(notification: Notification): WebhookBody {
  if (notification.type === 'device.offline') {
    return { type: notification.type, step: null, device: notification.device };
  }
  const { type, step, alert } = notification;
  return { type, step, alert };
}

const SECRET_PREFIX = 'whsec_';

/**
 * Standard Webhooks: a receiver checks the HMAC-SHA256 of `id.timestamp.body` with the shared key
 * and refuses a timestamp too far from its clock, so a captured request cannot be replayed later.
 */
export class WebhookChannel implements Channel {
  readonly kind = 'webhook';
  private readonly key: Buffer;

  constructor(
    readonly name: string,
    private readonly config: WebhookChannelConfig,
    /** The clock the timestamp is read from; a test turns it back to build a stale request. */
    private readonly now: () => number = Date.now,
  ) {
    const encoded = config.secret.startsWith(SECRET_PREFIX)
      ? config.secret.slice(SECRET_PREFIX.length)
      : config.secret;
    this.key = Buffer.from(encoded, 'base64');
    if (this.key.length === 0) throw new Error(`webhook channel ${name}: the secret holds no key`);
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(webhookBody(notification));
    // Signed again at every attempt: a retry an hour later must not carry an hour-old timestamp.
    const timestamp = String(Math.floor(this.now() / 1000));
    const signature = createHmac('sha256', this.key)
      .update(`${notification.id}.${timestamp}.${body}`, 'utf8')
      .digest('base64');
    await httpPost(
      {
        url: this.config.url,
        headers: {
          'content-type': 'application/json',
          'webhook-id': notification.id,
          'webhook-timestamp': timestamp,
          'webhook-signature': `v1,${signature}`,
        },
        body,
      },
      signal,
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
