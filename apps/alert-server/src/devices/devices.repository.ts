import { Injectable } from '@nestjs/common';
import { Transaction } from 'kysely';
import { Database, DevicesTable } from '../store/schema';
import { PreparedQuery, placeholderRow } from '../store/prepared-query';
import { Store } from '../store/store';

@Injectable()
export class DevicesRepository {
  constructor(private readonly store: Store) {}

  findAll(): Promise<DevicesTable[]> {
    return this.store.db.selectFrom('devices').selectAll().execute();
  }

  async upsert(trx: Transaction<Database>, row: DevicesTable): Promise<void> {
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
  }

  /**
   * Records that a device spoke, in the caller's transaction: a device first known from an
   * alert is stored with that alert, so a crash right after the answer cannot forget it.
   */
  async recordSeen(
    trx: Transaction<Database>,
    id: string,
    at: string,
    location: string | null,
  ): Promise<void> {
    await recordSeen.execute(trx, [id, location, null, null, null, at, at]);
  }
}

/** Insert a device, or move its last-seen forward (never back) and keep a known location. */
const DEVICE_COLUMNS = [
  'id',
  'location',
  'agent_version',
  'spool_depth',
  'uptime_seconds',
  'first_seen_at',
  'last_seen_at',
] as const satisfies ReadonlyArray<keyof DevicesTable>;

const recordSeen = new PreparedQuery<never>(DEVICE_COLUMNS.length, (db, placeholders) =>
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
