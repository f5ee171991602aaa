import type { Transaction } from 'kysely';
import { recordDeviceSeen } from '../devices/devices.writes';
import type { Database } from '../app-store';
import type { WriteOperation } from '../store/write-operation';
import { endEscalation, startEscalation } from '../notifications/notifications.writes';
import type { EscalationStep } from '../notifications/notify-config';
import { ALERT_COLUMNS, findAlertById, insertAlertIfAbsent } from './alert.queries';
import type { AlertsTable } from './alerts.schema';

export interface CreateAlertArgs {
  row: AlertsTable;
  /** The steps of the escalation rule that fits the alert; null when none does. */
  escalation: readonly EscalationStep[] | null;
}

/** A new alert is the row given, so only a retry carries the stored row back. */
export type CreateAlertOutcome = { created: true } | { created: false; stored: AlertsTable };

/** Who handles an alert, when, and their note. */
export interface HandleAlertArgs {
  id: string;
  at: string;
  by: string;
  note: string | null;
}

export type AcknowledgeOutcome =
  { kind: 'missing' } | { kind: 'resolved' } | { kind: 'unchanged' | 'changed'; row: AlertsTable };

export type ResolveOutcome =
  { kind: 'missing' } | { kind: 'unchanged' | 'changed'; row: AlertsTable; wasOpen: boolean };

/**
 * A new alert with its device's last-seen and its escalation, or the stored one when the id
 * exists (a retry, whose escalation started with it).
 */
const create: WriteOperation<Database, CreateAlertArgs, CreateAlertOutcome> = async (
  trx,
  { row, escalation },
) => {
  const inserted = await insertAlertIfAbsent.run(
    trx,
    ALERT_COLUMNS.map((column) => row[column]),
  );
  if (inserted === 1) {
    // The device's last-seen is stored with its alert: a crash cannot forget either.
    await recordDeviceSeen(trx, row.device_id, row.received_at, row.location);
    if (escalation) await startEscalation(trx, row.id, row.received_at, escalation);
    return { created: true };
  }
  const [stored] = await findAlertById.execute(trx, [row.id]);
  return { created: false, stored: stored };
};

/** The first acknowledgement stands; a resolved alert can no longer be acknowledged. */
const acknowledge: WriteOperation<Database, HandleAlertArgs, AcknowledgeOutcome> = async (
  trx,
  { id, at, by, note },
) => {
  const [row] = await findAlertById.execute(trx, [id]);
  if (!row) return { kind: 'missing' };
  if (row.status === 'resolved') return { kind: 'resolved' };
  if (row.status === 'acknowledged') return { kind: 'unchanged', row };
  const updated = await updateAlert(trx, id, {
    status: 'acknowledged',
    acknowledged_at: at,
    acknowledged_by: by,
    acknowledgement_note: note,
  });
  // Someone is on it: no further step, in the same transaction, so none can slip through.
  await endEscalation(trx, id, at, 'acknowledged');
  return { kind: 'changed', row: updated };
};

/** Resolving twice leaves the alert as the first resolution left it. */
const resolve: WriteOperation<Database, HandleAlertArgs, ResolveOutcome> = async (
  trx,
  { id, at, by, note },
) => {
  const [row] = await findAlertById.execute(trx, [id]);
  if (!row) return { kind: 'missing' };
  if (row.status === 'resolved') return { kind: 'unchanged', row, wasOpen: false };
  const updated = await updateAlert(trx, id, {
    status: 'resolved',
    resolved_at: at,
    resolved_by: by,
    resolution_note: note,
  });
  await endEscalation(trx, id, at, 'resolved');
  return { kind: 'changed', row: updated, wasOpen: row.status === 'open' };
};

function updateAlert(
  trx: Transaction<Database>,
  id: string,
  changes: Partial<AlertsTable>,
): Promise<AlertsTable> {
  return trx.updateTable('alerts').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export const ALERT_WRITES = {
  'alert.create': create,
  'alert.acknowledge': acknowledge,
  'alert.resolve': resolve,
};
