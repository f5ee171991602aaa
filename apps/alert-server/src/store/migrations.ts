import { Kysely, Migration, MigrationProvider, sql } from 'kysely';

/**
 * Versioned schema changes, applied in order at start-up. Never edit one that has shipped:
 * add the next. Written with the schema builder so PostgreSQL can run them too.
 */
const migrations: Record<string, Migration> = {
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
      await db.schema
        .createTable('operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_by_operator').on('sessions').column('operator_id').execute();
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

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
