import type { Kysely, Migration } from 'kysely';

/** An alert as the query layer sees it. Times are ISO 8601 UTC strings with milliseconds. */
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

export interface AlertTables {
  alerts: AlertsTable;
}

/**
 * The alerts' part of the schema's versioned changes. Written with the schema builder so
 * PostgreSQL can run them too.
 */
export const ALERT_MIGRATIONS: Record<string, Migration> = {
  '0001_alerts_and_devices': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('location', 'text')
        .addColumn('message', 'text')
        .addColumn('button', 'text')
        .addColumn('triggered_at', 'text', (c) => c.notNull())
        .addColumn('triggered_at_from_device', 'integer', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('acknowledged_at', 'text')
        .addColumn('acknowledged_by', 'text')
        .addColumn('acknowledgement_note', 'text')
        .addColumn('resolved_at', 'text')
        .addColumn('resolved_by', 'text')
        .addColumn('resolution_note', 'text')
        .execute();
      // Newest first, with the id breaking ties: the order and the cursor of GET /alerts.
      await db.schema.createIndex('alerts_by_received').on('alerts').columns(['received_at', 'id']).execute();
      for (const filter of ['status', 'type', 'device_id']) {
        await db.schema
          .createIndex(`alerts_by_${filter}_received`)
          .on('alerts')
          .columns([filter, 'received_at', 'id'])
          .execute();
      }
    },
  },
  '0002_alerts_by_device_and_status': {
    // "This device's open alerts" read every row of a busy device (~20 ms at 1M alerts,
    // holding the event loop); with this index it reads one page.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('alerts_by_device_id_status_received')
        .on('alerts')
        .columns(['device_id', 'status', 'received_at', 'id'])
        .execute();
    },
  },
  '0005_device_alerts_through_the_status_index': {
    // A device's alerts are listed from (device, status, received_at, id), once per status
    // (AlertsRepository.listQuery). Each alert landed at a random page of both device indexes,
    // pages each commit writes to the WAL: without this one, about a quarter less CPU for the
    // writer's statements per alert (a micro-benchmark of batches of eight).
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('alerts_by_device_id_received').execute();
    },
  },
};
