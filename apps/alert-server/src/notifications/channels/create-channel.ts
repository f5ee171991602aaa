import type { ChannelConfig } from '../notify-config';
import { AlertmanagerChannel } from './alertmanager.channel';
import type { Channel } from './channel';
import { EmailChannel } from './email.channel';
import { MqttChannel } from './mqtt.channel';
import { NtfyChannel } from './ntfy.channel';
import { WebhookChannel } from './webhook.channel';

/** The adapter for a channel of the notification file. */
export function createChannel(name: string, config: ChannelConfig): Channel {
  switch (config.kind) {
    case 'webhook':
      return new WebhookChannel(name, config);
    case 'ntfy':
      return new NtfyChannel(name, config);
    case 'email':
      return new EmailChannel(name, config);
    case 'mqtt':
      return new MqttChannel(name, config);
    case 'alertmanager':
      return new AlertmanagerChannel(name, config);
  }
}
