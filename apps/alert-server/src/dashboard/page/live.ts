import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_RESOLVED,
  DEVICE_OFFLINE,
  DEVICE_ONLINE,
  type Alert,
  type Device,
} from '@app/contracts/wire';

export interface LiveHandlers {
  alert(alert: Alert): void;
  device(device: Device): void;
  /** The stream is (back) up; `afterLoss` when it follows a disconnection. */
  connected(afterLoss: boolean): void;
  /**
   * The stream failed. An EventSource never shows the HTTP status, so the page asks the
   * server whether its session still holds (a 401 ended the stream) or the server is away.
   */
  disconnected(): void;
}

export interface LiveStream {
  /** Closes the stream for good: no more events, no reconnection. */
  close(): void;
}

const ALERT_EVENTS = [ALERT_CREATED, ALERT_ACKNOWLEDGED, ALERT_RESOLVED];
const DEVICE_EVENTS = [DEVICE_ONLINE, DEVICE_OFFLINE];
const REOPEN_MS = 3000;

/**
 * Follows GET /events. EventSource reconnects by itself after a network error; when the
 * browser gives up (an HTTP error answer closes it for good) we open a new one.
 */
export function followEvents(handlers: LiveHandlers): LiveStream {
  let lost = false;
  let closed = false;
  let source: EventSource | null = null;
  let reopen: number | undefined;
  const open = (): void => {
    reopen = undefined;
    if (closed) return;
    const current = new EventSource('/events');
    source = current;
    current.onopen = () => {
      if (closed) return;
      handlers.connected(lost);
      lost = false;
    };
    current.onerror = () => {
      if (closed) return;
      lost = true;
      if (current.readyState === EventSource.CLOSED) {
        current.close();
        reopen = window.setTimeout(open, REOPEN_MS);
      }
      handlers.disconnected();
    };
    for (const name of ALERT_EVENTS) {
      current.addEventListener(name, (event) => {
        const alert = closed ? null : parse<Alert>(event);
        if (alert) handlers.alert(alert);
      });
    }
    for (const name of DEVICE_EVENTS) {
      current.addEventListener(name, (event) => {
        const device = closed ? null : parse<Device>(event);
        if (device) handlers.device(device);
      });
    }
  };
  open();
  return {
    close: () => {
      closed = true;
      window.clearTimeout(reopen);
      source?.close();
      source = null;
    },
  };
}

function parse<T>(event: Event): T | null {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}
