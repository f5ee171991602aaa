import type { Alert, Device } from '@app/contracts';

export interface LiveHandlers {
  alert(alert: Alert): void;
  device(device: Device): void;
  /** The stream is (back) up; `afterLoss` when it follows a disconnection. */
  connected(afterLoss: boolean): void;
  disconnected(): void;
}

const ALERT_EVENTS = ['alert.created', 'alert.acknowledged', 'alert.resolved'];
const DEVICE_EVENTS = ['device.online', 'device.offline'];

/**
 * Follows GET /events. EventSource reconnects by itself after a network error; when the
 * browser gives up (an HTTP error answer closes it for good) we open a new one.
 */
export function followEvents(handlers: LiveHandlers): void {
  let lost = false;
  const open = (): void => {
    const source = new EventSource('/events');
    source.onopen = () => {
      handlers.connected(lost);
      lost = false;
    };
    source.onerror = () => {
      lost = true;
      handlers.disconnected();
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        window.setTimeout(open, 3000);
      }
    };
    for (const name of ALERT_EVENTS) {
      source.addEventListener(name, (event) => {
        const alert = parse<Alert>(event);
        if (alert) handlers.alert(alert);
      });
    }
    for (const name of DEVICE_EVENTS) {
      source.addEventListener(name, (event) => {
        const device = parse<Device>(event);
        if (device) handlers.device(device);
      });
    }
  };
  open();
}

function parse<T>(event: Event): T | null {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}
