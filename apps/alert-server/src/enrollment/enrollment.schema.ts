import { Kysely, Migration } from 'kysely';

/**
 * A one-time enrollment code, stored as its SHA-256 like every secret. The row stays after use
 * or expiry: it is the audit of who let which device in, and when.
 */
export interface DeviceEnrollmentsTable {
  code_hash: string;
  device_id: string;
  location: string | null;
  created_at: string;
  /** The operator who made it; `admin command` from the command line; null with VIGIE_AUTH=off. */
  created_by: string | null;
  expires_at: string;
  used_at: string | null;
  /** The address the code was used from. */
  used_from: string | null;
}

export interface EnrollmentTables {
  device_enrollments: DeviceEnrollmentsTable;
}

export const ENROLLMENT_MIGRATIONS: Record<string, Migration> = {
  '0007_device_enrollments': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('device_enrollments')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('location', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('used_from', 'text')
        .execute();
      await db.schema
        .createIndex('device_enrollments_by_device')
        .on('device_enrollments')
        .columns(['device_id', 'created_at'])
        .execute();
    },
  },
};
