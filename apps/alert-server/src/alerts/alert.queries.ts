import type { Database } from '../app-store';
import { PreparedQuery, placeholderRow } from '../store/prepared-query';
import type { AlertsTable } from './alerts.schema';

/** Every column, in the order of the prepared insert's parameters. */
export const ALERT_COLUMNS = [
  'id',
  'device_id',
  'type',
  'severity',
  'location',
  'message',
  'button',
  'triggered_at',
  'triggered_at_from_device',
  'received_at',
  'status',
  'acknowledged_at',
  'acknowledged_by',
  'acknowledgement_note',
  'resolved_at',
  'resolved_by',
  'resolution_note',
] as const satisfies ReadonlyArray<keyof AlertsTable>;

/**
 * Inserts unless the id exists; in one statement, so the check and the insert cannot race.
 * Nothing returned: an inserted row is exactly the one given.
 */
export const insertAlertIfAbsent = new PreparedQuery<Database, never>(
  ALERT_COLUMNS.length,
  (db, placeholders) =>
    db
      .insertInto('alerts')
      .values(placeholderRow<AlertsTable>(ALERT_COLUMNS, placeholders))
      .onConflict((conflict) => conflict.column('id').doNothing()),
);

export const findAlertById = new PreparedQuery<Database, AlertsTable>(1, (db, [id]) =>
  db
    .selectFrom('alerts')
    .selectAll()
    .where('id', '=', id as unknown as string),
);
