import { Inject, Injectable } from '@nestjs/common';
import type { Alert, Device } from '@app/contracts';
import type { AppStore } from '../app-store';
import { toAlert } from '../alerts/alert.mapper';
import { findAlertById } from '../alerts/alert.queries';
import { Store } from '../store/store';
import type { EscalationStep } from './notify-config';
import type { NotificationsTable } from './notifications.schema';
import type { ChannelRef, FiredStep } from './notifications.writes';

/** How many escalations, or notifications, one pass of the scheduler takes on. */
export const SCHEDULER_BATCH = 100;

/** The escalations and the outbox in the store: the scheduler's reads, and its writes by name. */
@Injectable()
export class NotificationsRepository {
  constructor(@Inject(Store) private readonly store: AppStore) {}

  fireDue(now: string, channels: ChannelRef[]): Promise<FiredStep[]> {
    return this.store.write('escalation.fireDue', { now, channels, limit: SCHEDULER_BATCH });
  }

  claimDue(now: string, leaseUntil: string): Promise<NotificationsTable[]> {
    return this.store.write('notification.claimDue', { now, leaseUntil, limit: SCHEDULER_BATCH });
  }

  markSent(id: string, at: string): Promise<void> {
    return this.store.write('notification.sent', { id, at });
  }

  markFailed(id: string, at: string, reason: string, retryAt: string | null): Promise<void> {
    return this.store.write('notification.failed', { id, at, reason, retryAt });
  }

  announceDeviceOffline(deviceId: string, at: string, channels: ChannelRef[]): Promise<void> {
    return this.store.write('notification.deviceOffline', { deviceId, at, channels });
  }

  /** The earliest time anything is due: an escalation's next firing or a send's next attempt. */
  async nextDueAt(): Promise<string | null> {
    const [escalation, notification] = await Promise.all([
      this.store.db
        .selectFrom('escalations')
        .select('next_due_at')
        .where('next_due_at', 'is not', null)
        .orderBy('next_due_at')
        .limit(1)
        .executeTakeFirst(),
      this.store.db
        .selectFrom('notifications')
        .select('next_attempt_at')
        .where('next_attempt_at', 'is not', null)
        .orderBy('next_attempt_at')
        .limit(1)
        .executeTakeFirst(),
    ]);
    const times = [escalation?.next_due_at, notification?.next_attempt_at].filter((time) => time != null);
    return times.length === 0 ? null : times.sort()[0];
  }

  /**
   * Open alerts that Alertmanager channels hold as active: each (alert, channel) once, with the
   * id of its first notification there and the latest step told.
   */
  alertmanagerHolds(): Promise<
    Array<{ alertId: string; channel: string; notificationId: string; step: number }>
  > {
    return this.store.db
      .selectFrom('notifications')
      .innerJoin('alerts', 'alerts.id', 'notifications.alert_id')
      .select((eb) => [
        'notifications.channel as channel',
        eb.fn.min('notifications.id').as('notificationId'),
        eb.fn.max('notifications.step').as('step'),
      ])
      .select('alerts.id as alertId')
      .where('notifications.channel_kind', '=', 'alertmanager')
      .where('notifications.subject', '=', 'alert.escalated')
      .where('notifications.state', '=', 'sent')
      .where('alerts.status', '=', 'open')
      .groupBy(['alerts.id', 'notifications.channel'])
      .execute() as Promise<
      Array<{ alertId: string; channel: string; notificationId: string; step: number }>
    >;
  }

  /**
   * Alerts not yet acknowledged whose escalation's last step is due by `now`: everyone it names
   * has been told and nobody answered. An alert no rule escalated (no steps: the dashboard was
   * its only channel) counts from its reception.
   */
  async countOpenPastLastStep(now: number): Promise<number> {
    const rows = await this.store.db
      .selectFrom('alerts')
      .leftJoin('escalations', 'escalations.alert_id', 'alerts.id')
      .select(['alerts.received_at as receivedAt', 'escalations.steps as steps'])
      .where('alerts.status', '=', 'open')
      .execute();
    return rows.filter(({ receivedAt, steps }) => {
      const afters = steps ? (JSON.parse(steps) as EscalationStep[]).map((step) => step.afterMs) : [];
      return Date.parse(receivedAt) + Math.max(0, ...afters) <= now;
    }).length;
  }

  async alert(id: string): Promise<Alert | null> {
    const [row] = await findAlertById.execute(this.store.db, [id]);
    return row ? toAlert(row) : null;
  }

  async device(id: string): Promise<Device | null> {
    const row = await this.store.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const { location, last_seen_at: lastSeenAt, agent_version: agentVersion, spool_depth: spoolDepth } = row;
    return { id, location, status: 'offline', lastSeenAt, agentVersion, spoolDepth };
  }
}
