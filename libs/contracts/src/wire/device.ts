/** 1–64 of `A-Z a-z 0-9 . _ -`: safe in a URL path, a log line and a metric label. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export type DeviceStatus = 'online' | 'offline';

/** The device resource, as `GET /devices` returns it. */
export interface Device {
  id: string;
  location: string | null;
  status: DeviceStatus;
  /** Null for a device added or enrolled that never spoke yet. */
  lastSeenAt: string | null;
  agentVersion: string | null;
  spoolDepth: number | null;
}

/** `POST /devices/enrollments`: a one-time code and the command that installs a Pi with it. */
export interface Enrollment {
  deviceId: string;
  code: string;
  expiresAt: string;
  command: string;
}

/** `POST /devices/enroll`: the device's token, shown this once. */
export interface EnrolledDevice {
  deviceId: string;
  token: string;
  location: string | null;
  serverUrl: string;
}
