import { Injectable } from '@nestjs/common';
import { Transaction } from 'kysely';
import { Database, DevicesTable } from '../store/schema';
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
}
