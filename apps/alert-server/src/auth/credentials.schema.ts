import { Kysely, Migration, sql } from 'kysely';

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

export interface CredentialTables {
  device_credentials: DeviceCredentialsTable;
  credentials_version: CredentialsVersionTable;
}

/** The device credentials' part of the schema's versioned changes. */
export const CREDENTIAL_MIGRATIONS: Record<string, Migration> = {
  '0003_device_credentials_operators_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('device_credentials')
        .addColumn('device_id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('location', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
    },
  },
  // Device tokens are checked on every alert: the server keeps them in memory and re-reads
  // them only when this number moves, which it does on any change, whoever makes it (the
  // admin commands are other processes). The triggers are SQLite's syntax: a PostgreSQL
  // backend would need a trigger function here (or LISTEN/NOTIFY instead).
  '0004_credentials_version': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('credentials_version')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await sql`insert into credentials_version (id, version) values (1, 0)`.execute(db);
      for (const change of ['insert', 'update', 'delete']) {
        await sql
          .raw(
            `create trigger device_credentials_after_${change} after ${change} on device_credentials ` +
              'begin update credentials_version set version = version + 1 where id = 1; end',
          )
          .execute(db);
      }
    },
  },
};
