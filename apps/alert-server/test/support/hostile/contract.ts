/**
 * What the contract (§3) says the alert server accepts, as the hostile-input oracle reads it:
 * written from the contract, not from the server's code, so that the two can disagree.
 */

export const MAX_BODY_BYTES = 16 * 1024;
export const TYPES = ['fire', 'intrusion', 'medical', 'panic', 'test'] as const;
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** RFC 9562 UUIDs (versions 1–8, RFC variant), plus the nil and max UUIDs. */
export const RFC_UUID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;
/** The 8-4-4-4-12 hex shape without the version and variant rules: debatable. */
export const HEX_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ISO_UTC_MS = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const ALERT_FIELDS = [
  'id',
  'deviceId',
  'type',
  'severity',
  'location',
  'message',
  'button',
  'triggeredAt',
];
export const HEARTBEAT_FIELDS = ['location', 'agentVersion', 'spoolDepth', 'uptimeSeconds'];
export const HANDLE_FIELDS = ['by', 'note'];

export type Alert = Record<string, unknown> & {
  id: string;
  deviceId: string;
  status: string;
  receivedAt: string;
};
