import type { Transaction } from 'kysely';
import type { Database } from '../app-store';
import { PreparedQuery, placeholderRow } from '../store/prepared-query';
import type { WriteOperation } from '../store/write-operation';
import type { DevicesTable } from './devices.schema';

const DEVICE_COLUMNS = [
  'id',
  'location',
  'agent_version',
  'spool_depth',
  'uptime_seconds',
  'first_seen_at',
  'last_seen_at',
] as const satisfies ReadonlyArray<keyof DevicesTable>;

/** Insert a device, or move its last-seen forward (never back) and keep a known location. */
const recordSeen = new PreparedQuery<Database, never>(DEVICE_COLUMNS.length, (db, placeholders) =>
  db
    .insertInto('devices')
    .values(placeholderRow<DevicesTable>(DEVICE_COLUMNS, placeholders))
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet((eb) => ({
          last_seen_at: eb.ref('excluded.last_seen_at'),
          location: eb.fn.coalesce('excluded.location', 'devices.location'),
        }))
        .where('devices.last_seen_at', '<', (eb) => eb.ref('excluded.last_seen_at')),
    ),
);

/**
 * Records that a device spoke, in the caller's transaction: a device first known from an
 * alert is stored with that alert, so a crash right after the answer cannot forget it.
 */
export async function recordDeviceSeen(
  trx: Transaction<Database>,
  id: string,
  at: string,
  location: string | null,
): Promise<void> {
  await recordSeen.execute(trx, [id, location, null, null, null, at, at]);
}

/** The device's whole known state (heartbeats and liveness keep it in memory). */
const upsert: WriteOperation<Database, DevicesTable, void> = async (trx, row) => {
  await trx
    .insertInto('devices')
    .values(row)
    .onConflict((conflict) =>
      conflict.column('id').doUpdateSet({
        location: row.location,
        agent_version: row.agent_version,
        spool_depth: row.spool_depth,
        uptime_seconds: row.uptime_seconds,
        last_seen_at: row.last_seen_at,
      }),
    )
    .execute();
};

/** What one heartbeat says its button showed (contract §8). */
export interface FeedbackReports {
  deviceId: string;
  reports: Array<{ alertId: string; state: string; at: string }>;
}

/**
 * Records in each alert's timeline that the device showed its state, once per alert and state
 * (an agent that did not get the answer reports again), and only for the device's own alerts:
 * a device cannot write into another's timeline. Returns how many were new.
 */
const recordFeedback: WriteOperation<Database, FeedbackReports, number> = async (
  trx,
  { deviceId, reports },
) => {
  let recorded = 0;
  for (const { alertId, state, at } of reports) {
    const own = await trx
      .selectFrom('alerts')
      .select('id')
      .where('id', '=', alertId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    if (!own) continue;
    const known = await trx
      .selectFrom('alert_events')
      .select('id')
      .where('alert_id', '=', alertId)
      .where('kind', '=', 'device.feedback')
      .where('detail', '=', state)
      .executeTakeFirst();
    if (known) continue;
    await trx
      .insertInto('alert_events')
      .values({ alert_id: alertId, at, kind: 'device.feedback', channel: null, step: null, detail: state })
      .execute();
    recorded++;
  }
  return recorded;
};

export const DEVICE_WRITES = {
  'device.upsert': upsert,
  'device.feedback': recordFeedback,
};
