import { Alert, AlertSeverity, AlertStatus, AlertType } from '@app/contracts';
import { AlertsTable } from './alerts.schema';

export function toAlert(row: AlertsTable): Alert {
  return {
    id: row.id,
    deviceId: row.device_id,
    type: row.type as AlertType,
    severity: row.severity as AlertSeverity,
    location: row.location,
    message: row.message,
    button: row.button,
    triggeredAt: row.triggered_at,
    receivedAt: row.received_at,
    status: row.status as AlertStatus,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    acknowledgementNote: row.acknowledgement_note,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note,
  };
}

/** The fields a device sends: two posts with one id must agree on all of them. */
const CONTENT_FIELDS = [
  ['device_id', 'deviceId'],
  ['type', 'type'],
  ['severity', 'severity'],
  ['location', 'location'],
  ['message', 'message'],
  ['button', 'button'],
  ['triggered_at', 'triggeredAt'],
] as const;

/** Names of the fields where a retry differs from what is stored (empty for a true retry). */
export function contentDifferences(stored: AlertsTable, retry: AlertsTable): string[] {
  const differences: string[] = CONTENT_FIELDS.filter(([column]) => column !== 'triggered_at')
    .filter(([column]) => stored[column] !== retry[column])
    .map(([, field]) => field);
  // A server-defaulted triggeredAt is the receive time, so a retry without one still matches.
  const triggeredDiffers =
    stored.triggered_at_from_device !== retry.triggered_at_from_device ||
    (retry.triggered_at_from_device === 1 && stored.triggered_at !== retry.triggered_at);
  if (triggeredDiffers) differences.push('triggeredAt');
  return differences;
}
