import { Inject, Injectable, Logger, OnApplicationShutdown, BeforeApplicationShutdown } from '@nestjs/common';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_RESOLVED,
  DEVICE_OFFLINE,
  DEVICE_ONLINE,
  AlertAcknowledgedEvent,
  AlertCreatedEvent,
  AlertResolvedEvent,
  DeviceOfflineEvent,
  DeviceOnlineEvent,
} from '@app/contracts';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OnDomainEvent } from '../events/domain-events';

/** What the hub needs of a response: Express's and a test double both fit. */
export interface LiveClient {
  write(chunk: string | Buffer): boolean;
  end(): void;
  destroy(): void;
  readonly writableLength: number;
}

/**
 * Bytes a client may leave unread (beyond what the kernel buffers) before it is dropped:
 * a stalled dashboard must never grow the server's memory or hold the others back.
 */
export const MAX_UNREAD_BYTES = 512 * 1024;

/**
 * Fans domain events out to every open `GET /events` stream (Server-Sent Events). Each
 * message is formatted once and written to all; writes never wait for a client, so one
 * slow reader cannot delay ingestion or the other operators.
 */
@Injectable()
export class LiveHub implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(LiveHub.name);
  private readonly clients = new Set<LiveClient>();
  private readonly keepAlive: NodeJS.Timeout;
  private nextId = 1;
  /** Set at shutdown: a stream opened then would hold the HTTP server's close forever. */
  private closing = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // A comment line keeps proxies from closing an idle stream (contract: at least every 15 s).
    this.keepAlive = setInterval(
      () => this.broadcast(': keep-alive\n\n'),
      config.liveKeepAliveSeconds * 1000,
    );
    this.keepAlive.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  add(client: LiveClient): () => void {
    if (this.closing) {
      client.end();
      return () => undefined;
    }
    this.clients.add(client);
    // Reconnect quickly after a server restart; the page then re-reads GET /alerts.
    client.write('retry: 2000\n: connected\n\n');
    return () => this.clients.delete(client);
  }

  @OnDomainEvent(ALERT_CREATED)
  onAlertCreated({ alert }: AlertCreatedEvent): void {
    this.publish(ALERT_CREATED, alert);
  }

  @OnDomainEvent(ALERT_ACKNOWLEDGED)
  onAlertAcknowledged({ alert }: AlertAcknowledgedEvent): void {
    this.publish(ALERT_ACKNOWLEDGED, alert);
  }

  @OnDomainEvent(ALERT_RESOLVED)
  onAlertResolved({ alert }: AlertResolvedEvent): void {
    this.publish(ALERT_RESOLVED, alert);
  }

  @OnDomainEvent(DEVICE_ONLINE)
  onDeviceOnline({ device }: DeviceOnlineEvent): void {
    this.publish(DEVICE_ONLINE, device);
  }

  @OnDomainEvent(DEVICE_OFFLINE)
  onDeviceOffline({ device }: DeviceOfflineEvent): void {
    this.publish(DEVICE_OFFLINE, device);
  }

  /** Streams end before the HTTP server closes, or its close would wait for them forever. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    clearInterval(this.keepAlive);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  onApplicationShutdown(): void {
    clearInterval(this.keepAlive);
  }

  private publish(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    try {
      // Encoded once for every stream, rather than once per stream by each write.
      this.broadcast(Buffer.from(`id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    } catch (error) {
      this.logger.error({ code: 'LIVE_PUBLISH_FAILED', event, err: error }, 'live event not sent');
    }
  }

  private broadcast(message: string | Buffer): void {
    for (const client of this.clients) {
      if (client.writableLength > MAX_UNREAD_BYTES) {
        this.drop(client);
        continue;
      }
      client.write(message);
    }
  }

  private drop(client: LiveClient): void {
    this.clients.delete(client);
    client.destroy();
    this.logger.warn(
      { code: 'LIVE_CLIENT_TOO_SLOW', unreadBytes: client.writableLength },
      'a live stream client stopped reading and was disconnected',
    );
  }
}
