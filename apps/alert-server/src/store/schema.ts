/** Tables as the query layer sees them. Times are ISO 8601 UTC strings with milliseconds. */
export interface AlertsTable {
  id: string;
  device_id: string;
  type: string;
  severity: string;
  location: string | null;
  message: string | null;
  button: string | null;
  triggered_at: string;
  /** 1 when the device sent `triggeredAt`, 0 when the server defaulted it: a retry must match. */
  triggered_at_from_device: number;
  received_at: string;
  status: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledgement_note: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

export interface DevicesTable {
  id: string;
  location: string | null;
  agent_version: string | null;
  spool_depth: number | null;
  uptime_seconds: number | null;
  first_seen_at: string;
  last_seen_at: string;
}

export interface Database {
  alerts: AlertsTable;
  devices: DevicesTable;
}
