import { Inject, Injectable } from '@nestjs/common';
import { ALERT_STATUSES, AlertStatus, ListAlertsQuery } from '@app/contracts';
import { SelectQueryBuilder, sql } from 'kysely';
import type { AppStore, Database } from '../app-store';
import { Store } from '../store/store';
import { findAlertById } from './alert.queries';
import { AlertCursor } from './alert-cursor';
import type { AlertsTable } from './alerts.schema';
import type { AlertEventsTable } from '../notifications/notifications.schema';
import type { EscalationStep } from '../notifications/notify-config';
import type {
  AcknowledgeOutcome,
  CreateAlertOutcome,
  HandleAlertArgs,
  ResolveOutcome,
} from './alerts.writes';

/** The alerts in the store: reads, and the writes (`alerts.writes.ts`) by name. */
@Injectable()
export class AlertsRepository {
  constructor(@Inject(Store) private readonly store: AppStore) {}

  /**
   * Stores the alert (with its device's last-seen and its escalation) unless its id exists:
   * then the stored one.
   */
  create(row: AlertsTable, escalation: readonly EscalationStep[] | null): Promise<CreateAlertOutcome> {
    return this.store.write('alert.create', { row, escalation });
  }

  acknowledge(args: HandleAlertArgs): Promise<AcknowledgeOutcome> {
    return this.store.write('alert.acknowledge', args);
  }

  resolve(args: HandleAlertArgs): Promise<ResolveOutcome> {
    return this.store.write('alert.resolve', args);
  }

  /** What happened to the alert besides its own row's changes (escalation, notifications), oldest first. */
  events(alertId: string): Promise<AlertEventsTable[]> {
    return this.store.db
      .selectFrom('alert_events')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('id')
      .execute() as Promise<AlertEventsTable[]>;
  }

  async findById(id: string): Promise<AlertsTable | undefined> {
    const [row] = await findAlertById.execute(this.store.db, [id]);
    return row;
  }

  /** Newest first by (receivedAt, id). */
  list(query: ListAlertsQuery, after: AlertCursor | null, limit: number): Promise<AlertsTable[]> {
    return this.listQuery(query, after, limit).execute();
  }

  /**
   * The query `list` runs: every filter is served by an index ending in (received_at, id), so
   * a page reads its rows in order and stops, however many alerts are stored (a spec checks
   * the plans). A device's alerts of any status are read from the (device, status) index once
   * per status, and SQLite merges the ordered parts: one index fewer to update with every
   * alert stored than a (device) index of their own.
   */
  listQuery(
    query: ListAlertsQuery,
    after: AlertCursor | null,
    limit: number,
  ): SelectQueryBuilder<Database, 'alerts', AlertsTable> {
    const alertsWith = (status: AlertStatus | undefined) => {
      let select = this.store.db.selectFrom('alerts').selectAll();
      if (status) select = select.where('status', '=', status);
      if (query.type) {
        // A device's alerts are few beside those of a type, so with a device given its index
        // must lead; without statistics SQLite would take the type's index for a page after a
        // cursor. `type || ''` (SQL of SQLite and PostgreSQL alike) keeps it from that index.
        select = query.deviceId
          ? select.where(sql<string>`${sql.ref('type')} || ''`, '=', query.type)
          : select.where('type', '=', query.type);
      }
      if (query.deviceId) select = select.where('device_id', '=', query.deviceId);
      if (after) {
        select = select.where((eb) =>
          eb(eb.refTuple('received_at', 'id'), '<', eb.tuple(after.receivedAt, after.id)),
        );
      }
      return select;
    };
    let select = alertsWith(query.status);
    if (query.deviceId && !query.status) {
      const [first, ...others] = ALERT_STATUSES;
      select = others.reduce((union, status) => union.unionAll(alertsWith(status)), alertsWith(first));
    }
    return select.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit);
  }

  /**
   * What a device's stream starts from: its latest `limit` alerts still open, and its latest
   * `limit` resolved (a resuming agent may have missed their resolution). Read from the
   * (device, status, received) index.
   */
  async forDeviceStream(deviceId: string, limit: number): Promise<AlertsTable[]> {
    const open = await this.store.db
      .selectFrom('alerts')
      .selectAll()
      .where('device_id', '=', deviceId)
      .where('status', 'in', ['open', 'acknowledged'])
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    const resolved = await this.store.db
      .selectFrom('alerts')
      .selectAll()
      .where('device_id', '=', deviceId)
      .where('status', '=', 'resolved')
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return [...open, ...resolved];
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
