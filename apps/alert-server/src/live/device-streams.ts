import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_RESOLVED,
  Alert,
  AlertAcknowledgedEvent,
  AlertCreatedEvent,
  AlertResolvedEvent,
  DeviceAlertEventName,
} from '@app/contracts';
import { toAlert } from '../alerts/alert.mapper';
import { AlertsRepository } from '../alerts/alerts.repository';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OnDomainEvent } from '../events/domain-events';
import { MetricsService } from '../observability/metrics.service';
import {
  DeviceStreamMessage,
  formatMessage,
  messageFor,
  parsePosition,
  startOfStream,
} from './device-alert-events';
import { LiveClient, MAX_UNREAD_BYTES } from './live-hub';

/**
 * Streams one device may hold. Its agent keeps one; a second comes when it reconnects before
 * the server has seen the first one die (a Wi-Fi drop leaves no FIN). A new stream is never
 * refused: the oldest is ended instead, so an agent can always get its feedback back.
 */
export const MAX_STREAMS_PER_DEVICE = 2;

/** Open and resolved alerts a stream starts from, each (a device raises a few a day). */
export const START_ALERTS = 100;

interface DeviceStream {
  readonly deviceId: string;
  readonly client: LiveClient;
  /** Live messages that came while the start of the stream was read; null once it was sent. */
  waiting: DeviceStreamMessage[] | null;
}

/**
 * `GET /devices/{id}/events`: tells each device's agent what happens to the alerts it raised
 * (stored, acknowledged, resolved), so the person who pressed sees that help is coming. Like
 * the operators' stream, a write never waits for a client and a client that stops reading is
 * dropped; unlike it, each stream gets only its device's alerts, and starts from the store.
 */
@Injectable()
export class DeviceStreams implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(DeviceStreams.name);
  private readonly byDevice = new Map<string, DeviceStream[]>();
  private readonly keepAlive: NodeJS.Timeout;
  /** Set at shutdown: a stream opened then would hold the HTTP server's close forever. */
  private closing = false;

  constructor(
    private readonly alerts: AlertsRepository,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.keepAlive = setInterval(() => this.keepStreamsAlive(), config.liveKeepAliveSeconds * 1000);
    this.keepAlive.unref();
  }

  get size(): number {
    let size = 0;
    for (const streams of this.byDevice.values()) size += streams.length;
    return size;
  }

  /**
   * Starts `client`'s stream for `deviceId`: after `lastEventId` when it names a message of this
   * stream, else from where the device's open alerts stand; then live. Returns what removes it.
   */
  async open(deviceId: string, client: LiveClient, lastEventId: string | undefined): Promise<() => void> {
    if (this.closing) {
      client.end();
      return () => undefined;
    }
    const stream: DeviceStream = { deviceId, client, waiting: [] };
    this.add(stream);
    const remove = () => this.remove(stream);
    client.write('retry: 2000\n: connected\n\n');
    const from = lastEventId === undefined ? null : parsePosition(lastEventId);
    if (lastEventId !== undefined && from === null) {
      client.write(': Last-Event-ID is not an id of this stream: starting from the open alerts\n\n');
    }
    let start: DeviceStreamMessage[];
    try {
      start = startOfStream((await this.alerts.forDeviceStream(deviceId, START_ALERTS)).map(toAlert), from);
    } catch (error) {
      // The store is unavailable (readiness says so): the agent reconnects with its backoff.
      this.logger.error(
        { code: 'DEVICE_STREAM_START_FAILED', deviceId, err: error },
        'device stream not started',
      );
      remove();
      client.destroy();
      return remove;
    }
    // Ended while the store was read: by its client, or replaced by a newer stream.
    if (!this.byDevice.get(deviceId)?.includes(stream)) return remove;
    const sent = new Set(start.map((message) => message.id));
    const waiting = stream.waiting ?? [];
    stream.waiting = null;
    for (const message of [...start, ...waiting.filter((message) => !sent.has(message.id))]) {
      if (!this.write(stream, formatMessage(message))) break;
    }
    return remove;
  }

  @OnDomainEvent(ALERT_CREATED)
  onAlertCreated({ alert }: AlertCreatedEvent): void {
    this.publish('alert.stored', alert);
  }

  @OnDomainEvent(ALERT_ACKNOWLEDGED)
  onAlertAcknowledged({ alert }: AlertAcknowledgedEvent): void {
    this.publish('alert.acknowledged', alert);
  }

  @OnDomainEvent(ALERT_RESOLVED)
  onAlertResolved({ alert }: AlertResolvedEvent): void {
    this.publish('alert.resolved', alert);
  }

  /** Streams end before the HTTP server closes, or its close would wait for them forever. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    clearInterval(this.keepAlive);
    for (const streams of this.byDevice.values()) for (const stream of streams) stream.client.end();
    this.byDevice.clear();
    this.metrics.deviceFeedbackStreams.set(0);
  }

  onApplicationShutdown(): void {
    clearInterval(this.keepAlive);
  }

  private publish(event: DeviceAlertEventName, alert: Alert): void {
    const streams = this.byDevice.get(alert.deviceId);
    if (!streams) return;
    try {
      const message = messageFor(event, alert);
      const text = formatMessage(message);
      for (const stream of [...streams]) {
        if (stream.waiting) stream.waiting.push(message);
        else this.write(stream, text);
      }
    } catch (error) {
      this.logger.error(
        { code: 'DEVICE_STREAM_PUBLISH_FAILED', event, alertId: alert.id, err: error },
        'device stream event not sent',
      );
    }
  }

  private add(stream: DeviceStream): void {
    const streams = this.byDevice.get(stream.deviceId) ?? [];
    streams.push(stream);
    this.byDevice.set(stream.deviceId, streams);
    this.metrics.deviceFeedbackStreams.set(this.byDevice.size);
    while (streams.length > MAX_STREAMS_PER_DEVICE) {
      const oldest = streams.shift()!;
      this.logger.warn(
        { code: 'DEVICE_STREAM_REPLACED', deviceId: stream.deviceId },
        'a device opened another event stream: its oldest one was ended',
      );
      oldest.client.end();
    }
  }

  private remove(stream: DeviceStream): void {
    const streams = this.byDevice.get(stream.deviceId);
    if (!streams) return;
    const index = streams.indexOf(stream);
    if (index >= 0) streams.splice(index, 1);
    if (streams.length === 0) this.byDevice.delete(stream.deviceId);
    this.metrics.deviceFeedbackStreams.set(this.byDevice.size);
  }

  private keepStreamsAlive(): void {
    for (const streams of [...this.byDevice.values()]) {
      for (const stream of [...streams]) this.write(stream, ': keep-alive\n\n');
    }
  }

  /** False when the client was dropped for not reading. */
  private write(stream: DeviceStream, text: string): boolean {
    if (stream.client.writableLength > MAX_UNREAD_BYTES) {
      this.remove(stream);
      stream.client.destroy();
      this.logger.warn(
        {
          code: 'DEVICE_STREAM_TOO_SLOW',
          deviceId: stream.deviceId,
          unreadBytes: stream.client.writableLength,
        },
        'a device stopped reading its event stream and was disconnected',
      );
      return false;
    }
    stream.client.write(text);
    return true;
  }
}
