import type { AlertSeverity } from '@app/contracts';
import type { NtfyChannelConfig } from '../notify-config';
import type { Channel, Notification } from './channel';
import { httpPost } from './http-post';
import { notificationText } from './notification-text';

/** ntfy's 1–5 scale: 5 breaks through do-not-disturb on phones, 3 is an ordinary notification. */
const SEVERITY_PRIORITY: Record<AlertSeverity, number> = { critical: 5, warning: 4, info: 3 };
/** Tags that are emoji short codes show as that emoji before the title. */
const SEVERITY_TAG: Record<AlertSeverity, string> = {
  critical: 'rotating_light',
  warning: 'warning',
  info: 'information_source',
};

function priority(notification: Notification): number {
  switch (notification.type) {
    case 'alert.escalated':
      return SEVERITY_PRIORITY[notification.alert.severity];
    case 'device.offline':
      return 4;
    default:
      // Good news must not ring like the alarm did.
      return 3;
  }
}

function tags(notification: Notification): string[] {
  switch (notification.type) {
    case 'alert.escalated':
      return [SEVERITY_TAG[notification.alert.severity], notification.alert.type];
    case 'alert.acknowledged':
      return ['eyes', notification.alert.type];
    case 'alert.resolved':
      return ['white_check_mark', notification.alert.type];
    case 'device.offline':
      return ['electric_plug', 'device_offline'];
  }
}

/** The longest base64 text an encoded word holds within RFC 2047's 75 characters. */
const WORD_BYTES = 45;

/**
 * A header value as ASCII: fetch refuses characters above U+00FF and sends U+0080–U+00FF as
 * single Latin-1 bytes, which ntfy (Go, UTF-8) would garble. Anything but printable ASCII, or
 * text that would itself read as an encoded word, goes as RFC 2047 encoded words, which ntfy
 * decodes; each word holds whole characters so it decodes on its own.
 */
export function asciiHeaderValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && !value.includes('=?')) return value;
  const words: string[] = [];
  let chunk = '';
  for (const char of value) {
    if (Buffer.byteLength(chunk + char) > WORD_BYTES) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`).join(' ');
}

/** ntfy's publish protocol: the text is the body, everything else a header. */
export class NtfyChannel implements Channel {
  readonly kind = 'ntfy';

  constructor(
    readonly name: string,
    private readonly config: NtfyChannelConfig,
  ) {}

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const text = notificationText(notification);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      Title: asciiHeaderValue(text.title),
      Priority: String(priority(notification)),
      Tags: tags(notification).join(','),
      'X-Vigie-Notification': notification.id,
    };
    if (notification.dashboardUrl) headers.Click = asciiHeaderValue(notification.dashboardUrl);
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    await httpPost({ url: this.config.url, headers, body: text.body }, signal);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
