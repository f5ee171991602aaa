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

/** A device's token, stored only as its SHA-256; revoking keeps the row to tell "revoked" apart. */
export interface DeviceCredentialsTable {
  device_id: string;
  token_hash: string;
  location: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** One row, its version moved by triggers on every change to `device_credentials`. */
export interface CredentialsVersionTable {
  id: number;
  version: number;
}

export interface OperatorsTable {
  /** The name folded for comparison: "Marie" and "marie" are one operator. */
  id: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  password_hash: string;
  created_at: string;
}

/** A signed-in browser; the cookie holds the secret, the store its SHA-256. */
export interface SessionsTable {
  id_hash: string;
  operator_id: string;
  created_at: string;
  expires_at: string;
}

export interface Database {
  alerts: AlertsTable;
  devices: DevicesTable;
  device_credentials: DeviceCredentialsTable;
  credentials_version: CredentialsVersionTable;
  operators: OperatorsTable;
  sessions: SessionsTable;
}
