import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttChannelConfig } from '../notify-config';
import { Channel, ChannelSendError, Notification } from './channel';
import { webhookBody } from './webhook.channel';

const RECONNECT_PERIOD_MS = 1000;
const CONNECT_TIMEOUT_MS = 10_000;

type PublishCallback = (error?: Error) => void;

/**
 * Publishes notifications at QoS 1 on a broker connection kept open (mqtt.js reconnects by
 * itself). The outbox above retries failed sends, so a send that rejects must never reach the
 * broker later through mqtt.js's own offline store: that would be a duplicate nobody announced,
 * and late. Hence: no publish while disconnected, and a send that gives up (abort, lost
 * connection, close) takes its message out of mqtt.js's outgoing store.
 */
export class MqttChannel implements Channel {
  readonly kind = 'mqtt';
  private readonly client: MqttClient;
  /** True from 'connect' (mqtt.js has replayed its store by then) to 'close'. */
  private ready = false;
  private lastError: (Error & { code?: unknown }) | null = null;
  private closed = false;
  /** Sends waiting for their PUBACK, each able to give up. */
  private readonly inFlight = new Set<(error: ChannelSendError) => void>();

  constructor(
    readonly name: string,
    private readonly config: MqttChannelConfig,
  ) {
    this.client = connect(clientOptions(config));
    this.client.on('connect', () => {
      this.ready = true;
      this.lastError = null;
    });
    this.client.on('close', () => {
      this.ready = false;
      this.giveUpAll('network', 'connection lost before the broker acknowledged');
    });
    // Without a listener an 'error' event would throw; the last one says why sends are refused.
    this.client.on('error', (error) => {
      this.lastError = error;
    });
  }

  /** Whether a send now would be published (for health checks and tests). */
  get connected(): boolean {
    return this.ready && !this.closed;
  }

  send(notification: Notification, signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.error('closed', 'channel closed'));
    if (signal.aborted) return Promise.reject(this.error('timeout', 'aborted before publishing'));
    if (!this.connected) return Promise.reject(this.notConnected());
    const { topic, payload } = mqttMessage(this.config.topic, notification);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: ChannelSendError) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        this.inFlight.delete(giveUp);
        if (error) reject(error);
        else resolve();
      };
      const onPublished: PublishCallback = (error) =>
        settle(error ? this.error(publishReason(error), error.message, error) : undefined);
      const giveUp = (error: ChannelSendError) => {
        settle(error);
        // Not yet acknowledged: mqtt.js would send it again after a reconnect. Removing it
        // calls onPublished with an error, which finds the send already settled.
        const messageId = this.outgoingIdOf(onPublished);
        if (messageId !== undefined) this.client.removeOutgoingMessage(messageId);
      };
      const onAbort = () => giveUp(this.error('timeout', 'no PUBACK before the deadline'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.inFlight.add(giveUp);
      this.client.publish(topic, payload, { qos: 1 }, onPublished);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.giveUpAll('closed', 'channel closed');
    await this.client.endAsync(true);
  }

  private giveUpAll(reason: string, message: string): void {
    for (const giveUp of [...this.inFlight]) giveUp(this.error(reason, message));
  }

  private outgoingIdOf(callback: PublishCallback): number | undefined {
    const found = Object.entries(this.client.outgoing).find(([, entry]) => entry.cb === callback);
    return found ? Number(found[0]) : undefined;
  }

  private notConnected(): ChannelSendError {
    const code = typeof this.lastError?.code === 'string' ? this.lastError.code : '';
    const reason = code === 'ECONNREFUSED' ? 'connection_refused' : isTlsCode(code) ? 'tls' : 'not_connected';
    const why = this.lastError ? `: ${this.lastError.message}` : '';
    return this.error(reason, `not connected to the broker${why}`);
  }

  private error(reason: string, message: string, cause?: unknown): ChannelSendError {
    return new ChannelSendError(reason, `mqtt ${this.name}: ${reason}: ${message}`, { cause });
  }
}

/** The webhook's body plus `notificationId`, on `<topic>/alerts/<type>` or `<topic>/devices/offline`. */
export function mqttMessage(prefix: string, notification: Notification): { topic: string; payload: string } {
  const topic =
    notification.type === 'device.offline'
      ? `${prefix}/devices/offline`
      : `${prefix}/alerts/${notification.alert.type}`;
  return {
    topic,
    payload: JSON.stringify({ ...webhookBody(notification), notificationId: notification.id }),
  };
}

function clientOptions(config: MqttChannelConfig): IClientOptions {
  const url = new URL(config.url);
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') {
    throw new Error(`mqtt: ${url.protocol} is not mqtt: or mqtts:`);
  }
  const secure = url.protocol === 'mqtts:';
  return {
    protocol: secure ? 'mqtts' : 'mqtt',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 8883 : 1883,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    ca: config.ca ? readFileSync(config.ca) : undefined,
    // Unique per process: two servers sharing one notify file must not take over each other's session.
    clientId: `vigie_${randomBytes(6).toString('hex')}`,
    // No session kept on the broker: what was not acknowledged is the outbox's to retry.
    clean: true,
    reconnectPeriod: RECONNECT_PERIOD_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    queueQoSZero: false,
  };
}

function publishReason(error: Error & { code?: unknown }): string {
  return typeof error.code === 'number' ? `mqtt_${error.code}` : 'network';
}

function isTlsCode(code: string): boolean {
  return /CERT|SSL|TLS|UNABLE_TO_VERIFY/.test(code);
}
