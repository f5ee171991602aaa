import type { Channel } from './channels/channel';
import type { ChannelRef } from './notifications.writes';

/** The channels of the notification file, ready to send, by name. */
export class NotificationChannels {
  private readonly byName: ReadonlyMap<string, Channel>;

  constructor(channels: readonly Channel[]) {
    this.byName = new Map(channels.map((channel) => [channel.name, channel]));
  }

  get(name: string): Channel | undefined {
    return this.byName.get(name);
  }

  refs(): ChannelRef[] {
    return [...this.byName.values()].map((channel) => ({ name: channel.name, kind: channel.kind }));
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.byName.values()].map((channel) => channel.close()));
  }
}
