import { Injectable } from '@nestjs/common';
import { AlertStatus, ListAlertsQuery } from '@app/contracts';
import { AlertsTable } from '../store/schema';
import { Store } from '../store/store';
import { findAlertById } from './alert.queries';
import { AlertCursor } from './alert-cursor';

@Injectable()
export class AlertsRepository {
  constructor(private readonly store: Store) {}

  async findById(id: string): Promise<AlertsTable | undefined> {
    const [row] = await findAlertById.execute(this.store.db, [id]);
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

  async countByStatus(status: AlertStatus): Promise<number> {
    const { count } = await this.store.db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    return Number(count);
  }
}
