import { Injectable } from '@nestjs/common';
import { AlertStatus, ListAlertsQuery } from '@app/contracts';
import { Transaction } from 'kysely';
import { Database, AlertsTable } from '../store/schema';
import { PreparedQuery, placeholderRow } from '../store/prepared-query';
import { Store } from '../store/store';
import { AlertCursor } from './alert-cursor';

type Executor = Store['db'] | Transaction<Database>;

/** Every column, in the order of the prepared insert's parameters. */
const ALERT_COLUMNS = [
  'id',
  'device_id',
  'type',
  'severity',
  'location',
  'message',
  'button',
  'triggered_at',
  'triggered_at_from_device',
  'received_at',
  'status',
  'acknowledged_at',
  'acknowledged_by',
  'acknowledgement_note',
  'resolved_at',
  'resolved_by',
  'resolution_note',
] as const satisfies ReadonlyArray<keyof AlertsTable>;

const insertIfAbsent = new PreparedQuery<AlertsTable>(ALERT_COLUMNS.length, (db, placeholders) =>
  db
    .insertInto('alerts')
    .values(placeholderRow<AlertsTable>(ALERT_COLUMNS, placeholders))
    .onConflict((conflict) => conflict.column('id').doNothing())
    .returningAll(),
);

const findById = new PreparedQuery<AlertsTable>(1, (db, [id]) =>
  db
    .selectFrom('alerts')
    .selectAll()
    .where('id', '=', id as unknown as string),
);

@Injectable()
export class AlertsRepository {
  constructor(private readonly store: Store) {}

  /** Inserts unless the id exists; in one statement, so the check and the insert cannot race. */
  async insertIfAbsent(trx: Transaction<Database>, row: AlertsTable): Promise<AlertsTable | undefined> {
    const [inserted] = await insertIfAbsent.execute(
      trx,
      ALERT_COLUMNS.map((column) => row[column]),
    );
    return inserted;
  }

  async findById(id: string, executor: Executor = this.store.db): Promise<AlertsTable | undefined> {
    const [row] = await findById.execute(executor, [id]);
    return row;
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
