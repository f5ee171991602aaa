import type { Kysely, Migration } from 'kysely';

/** A device as the query layer sees it. Times are ISO 8601 UTC strings with milliseconds. */
export interface DevicesTable {
  id: string;
  location: string | null;
  agent_version: string | null;
  spool_depth: number | null;
  uptime_seconds: number | null;
  first_seen_at: string;
  last_seen_at: string;
}

export interface DeviceTables {
  devices: DevicesTable;
}

/** The devices' part of the schema's versioned changes (shipped with the alerts' first). */
export const DEVICE_MIGRATIONS: Record<string, Migration> = {
  '0001_alerts_and_devices': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('location', 'text')
        .addColumn('agent_version', 'text')
        .addColumn('spool_depth', 'integer')
        .addColumn('uptime_seconds', 'real')
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
