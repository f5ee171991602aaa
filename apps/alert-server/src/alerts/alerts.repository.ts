import { Injectable } from '@nestjs/common';
import { AlertStatus, ListAlertsQuery } from '@app/contracts';
import { Transaction } from 'kysely';
import { Database, AlertsTable } from '../store/schema';
import { Store } from '../store/store';
import { AlertCursor } from './alert-cursor';

type Executor = Store['db'] | Transaction<Database>;

@Injectable()
export class AlertsRepository {
  constructor(private readonly store: Store) {}

  /** Inserts unless the id exists; in one statement, so the check and the insert cannot race. */
  async insertIfAbsent(trx: Transaction<Database>, row: AlertsTable): Promise<AlertsTable | undefined> {
    return trx
      .insertInto('alerts')
      .values(row)
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  async findById(id: string, executor: Executor = this.store.db): Promise<AlertsTable | undefined> {
    return executor.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first by (receivedAt, id); every filter is served by an index ending in that key. */
  async list(query: ListAlertsQuery, after: AlertCursor | null, limit: number): Promise<AlertsTable[]> {
    let select = this.store.db.selectFrom('alerts').selectAll();
    if (query.status) select = select.where('status', '=', query.status);
    if (query.type) select = select.where('type', '=', query.type);
    if (query.deviceId) select = select.where('device_id', '=', query.deviceId);
    if (after) {
      select = select.where((eb) =>
        eb(eb.refTuple('received_at', 'id'), '<', eb.tuple(after.receivedAt, after.id)),
      );
    }
    return select.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  async update(trx: Transaction<Database>, id: string, changes: Partial<AlertsTable>): Promise<AlertsTable> {
    return trx
      .updateTable('alerts')
      .set(changes)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async countByStatus(status: AlertStatus): Promise<number> {
    const { count } = await this.store.db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    return Number(count);
  }
}
