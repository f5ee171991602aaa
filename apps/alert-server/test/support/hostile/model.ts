import type { Alert } from './contract';

/** What the model knows of a device's fields. */
export interface DeviceModel {
  /** undefined: not known to the model (an alert may have changed it; the contract is silent). */
  location?: string | null;
  agentVersion?: string | null;
  spoolDepth?: number | null;
}

export const UNKNOWN_DEVICE: DeviceModel = {
  location: undefined,
  agentVersion: undefined,
  spoolDepth: undefined,
};

/**
 * What the server must hold: every alert and device the accepted requests made, as the server
 * answered them. At the end of the suite the store must hold exactly this.
 */
export class ServerModel {
  readonly alerts = new Map<string, Alert>();
  /** Whether the stored triggeredAt came from the device (a retry must agree). */
  readonly fromDevice = new Map<string, boolean>();
  readonly devices = new Map<string, DeviceModel>();

  /** The alerts as GET /alerts lists them: newest first, then by id. */
  sortedAlerts(): Alert[] {
    return [...this.alerts.values()].sort((a, b) =>
      a.receivedAt !== b.receivedAt ? (a.receivedAt < b.receivedAt ? 1 : -1) : a.id < b.id ? 1 : -1,
    );
  }

  noteDevice(deviceId: string, change: DeviceModel = {}): void {
    const known = this.devices.get(deviceId);
    this.devices.set(
      deviceId,
      known ? { ...known, ...change } : { location: null, agentVersion: null, spoolDepth: null, ...change },
    );
  }

  /** An alert the server created: it holds it, and its device now exists (location unknown). */
  noteCreated(alert: Alert, fromDevice: boolean): void {
    this.alerts.set(alert.id, alert);
    this.noteDevice(alert.deviceId, { location: undefined });
    this.fromDevice.set(alert.id, fromDevice);
  }

  /** A listed device and what the model knows of it, field by field, to compare. */
  deviceAgainstModel(device: Record<string, unknown> & { id: string }): {
    listed: Record<string, unknown>;
    known: Record<string, unknown>;
  } {
    const known = Object.entries(this.devices.get(device.id) ?? {}).filter(
      ([, value]) => value !== undefined,
    );
    return {
      listed: {
        id: device.id,
        ...pick(
          device,
          known.map(([key]) => key),
        ),
      },
      known: { id: device.id, ...Object.fromEntries(known) },
    };
  }
}

export function pick(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, value[key]]));
}
