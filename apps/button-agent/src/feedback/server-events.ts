import type { Readable } from 'node:stream';
import type { AxiosInstance } from 'axios';
import { DEVICE_ALERT_EVENTS, DeviceAlertEvent, DeviceAlertEventName } from '@app/contracts/wire';
import { codeForStatus, describeCode } from '../diagnostics/error-codes';
import { backoffDelay } from '../delivery/backoff';
import { networkErrorCode } from '../delivery/http-client';
import { AgentLogger } from '../logging/agent-logger';

/**
 * The server writes a comment at least every 15 s: a stream silent for this long is dead (a
 * Wi-Fi drop leaves no FIN), and is opened again.
 */
export const STREAM_SILENCE_MS = 45_000;

export interface ServerEventsListener {
  /** An `alert.stored`, `alert.acknowledged` or `alert.resolved` about one of this device's alerts. */
  onEvent(event: DeviceAlertEventName, data: DeviceAlertEvent): void;
  /** The stream is open: the server is reachable. */
  onConnected(): void;
  /** The server could not be reached at all (no HTTP answer). */
  onUnreachable(code: string): void;
}

export interface ServerEventsOptions {
  deviceId: string;
  retryBaseMs: number;
  retryMaxMs: number;
  silenceMs?: number;
}

/**
 * Follows `GET /devices/{id}/events`: what happens to the alerts this device raised. Opened
 * again whenever it ends or fails, with the delivery's backoff, from the last event's id, so
 * nothing that happened in between is missed; after a restart the server starts it with where
 * the open alerts stand.
 */
export class ServerEvents {
  private lastEventId: string | null = null;
  private stopped = true;
  private failures = 0;
  private lastFailureCode: string | null = null;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private wakeSleep: (() => void) | null = null;

  constructor(
    private readonly http: AxiosInstance,
    private readonly logger: AgentLogger,
    private readonly options: ServerEventsOptions,
    private readonly listener: ServerEventsListener,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wakeSleep?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.follow();
      if (this.stopped) break;
      await this.sleep(backoffDelay(this.failures++, this.options.retryBaseMs, this.options.retryMaxMs));
    }
  }

  /** One connection, until it ends or fails. */
  private async follow(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const path = `/devices/${encodeURIComponent(this.options.deviceId)}/events`;
    let stream: Readable;
    try {
      const response = await this.http.get<Readable>(path, {
        responseType: 'stream',
        // The stream stays open; a silent one is caught below instead.
        timeout: 0,
        signal: abort.signal,
        headers: {
          Accept: 'text/event-stream',
          ...(this.lastEventId ? { 'Last-Event-ID': this.lastEventId } : {}),
        },
      });
      stream = response.data;
      if (response.status !== 200) {
        stream.destroy();
        this.failed(codeForStatus(response.status), false);
        return;
      }
    } catch (error) {
      if (!this.stopped) this.failed(networkErrorCode(error), true);
      return;
    }
    this.failures = 0;
    if (this.lastFailureCode !== null) {
      this.logger.info(
        { event: 'feedback.stream_recovered', previousCode: this.lastFailureCode },
        'the device stream is open again',
      );
      this.lastFailureCode = null;
    }
    this.listener.onConnected();
    await this.read(stream, abort);
  }

  private read(stream: Readable, abort: AbortController): Promise<void> {
    const silenceMs = this.options.silenceMs ?? STREAM_SILENCE_MS;
    return new Promise<void>((resolve) => {
      let buffer = '';
      let silence = setTimeout(() => abort.abort(), silenceMs);
      const done = () => {
        clearTimeout(silence);
        resolve();
      };
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        clearTimeout(silence);
        silence = setTimeout(() => abort.abort(), silenceMs);
        buffer += chunk.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      });
      stream.once('end', done);
      stream.once('error', done);
      stream.once('close', done);
    });
  }

  /** One server-sent event block: `id:`, `event:`, `data:` lines; comments are skipped. */
  private dispatch(block: string): void {
    let id: string | null = null;
    let event = '';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon === 0) continue;
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== null) this.lastEventId = id;
    if (!(DEVICE_ALERT_EVENTS as readonly string[]).includes(event)) return;
    let parsed: DeviceAlertEvent;
    try {
      parsed = JSON.parse(data.join('\n')) as DeviceAlertEvent;
      if (typeof parsed.alertId !== 'string' || typeof parsed.type !== 'string')
        throw new Error('no alertId or type');
    } catch (error) {
      this.logger.warn(
        { event: 'feedback.event_unreadable', streamEvent: event, err: error },
        'an event of the device stream could not be read: ignored',
      );
      return;
    }
    this.listener.onEvent(event as DeviceAlertEventName, parsed);
  }

  /** Logs a failure when it starts or changes, not at every attempt of an outage. */
  private failed(code: string, unreachable: boolean): void {
    if (unreachable) this.listener.onUnreachable(code);
    if (code === this.lastFailureCode) return;
    this.lastFailureCode = code;
    const { meaning, check } = describeCode(code);
    this.logger.warn(
      { event: 'feedback.stream_failed', code, meaning, check },
      `the device stream cannot be opened (${code}): ${meaning}`,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleep = null;
        resolve();
      }, ms);
      this.wakeSleep = () => {
        clearTimeout(timer);
        this.wakeSleep = null;
        resolve();
      };
    });
  }
}
