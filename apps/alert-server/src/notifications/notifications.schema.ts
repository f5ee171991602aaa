import type { Kysely, Migration } from 'kysely';

/**
 * An alert's escalation: the steps of the rule that fitted it when it arrived (a copy, so that
 * editing the file never reshapes an escalation under way) and where it stands. Firing a step
 * and acknowledging the alert are each one transaction, so a step fires only for an alert
 * still open, and never twice.
 */
export interface EscalationsTable {
  alert_id: string;
  /** JSON of the rule's `EscalationStep[]`. */
  steps: string;
  /** Index of the next firing in the escalation's schedule (see escalation-schedule.ts). */
  next_firing: number;
  /** When the next firing is due (ISO); null once finished or cancelled. */
  next_due_at: string | null;
  state: 'active' | 'finished' | 'cancelled';
}

export type NotificationSubjectType =
  'alert.escalated' | 'alert.acknowledged' | 'alert.resolved' | 'device.offline';

/**
 * The outbox: a notification is this row before anything is sent. Its id is the notification
 * id receivers see on every attempt. `pending` rows are sent when `next_attempt_at` comes; a
 * send in flight has its `next_attempt_at` pushed past the send's timeout (a lease), so after a
 * crash it is sent again, with the same id, and only it.
 */
export interface NotificationsTable {
  id: string;
  alert_id: string | null;
  device_id: string | null;
  subject: NotificationSubjectType;
  /** 1 for the first step of the rule; null for what is not a step. */
  step: number | null;
  channel: string;
  channel_kind: string;
  /** When it became due: the delay metric and the give-up time count from here. */
  due_at: string;
  state: 'pending' | 'sent' | 'cancelled' | 'abandoned';
  attempts: number;
  next_attempt_at: string | null;
  sent_at: string | null;
  /** The last failure's reason (`timeout`, `http_500`...); null after a success. */
  last_reason: string | null;
}

/** What happened to an alert besides its own row's changes, for `GET /alerts/{id}/timeline`. */
export interface AlertEventsTable {
  id: number;
  alert_id: string;
  at: string;
  kind: 'escalated' | 'notification.sent' | 'notification.failed' | 'device.feedback';
  channel: string | null;
  step: number | null;
  detail: string | null;
}

export interface NotificationTables {
  escalations: EscalationsTable;
  notifications: NotificationsTable;
  alert_events: Omit<AlertEventsTable, 'id'> & { id?: number };
}

export const NOTIFICATION_MIGRATIONS: Record<string, Migration> = {
  '0006_escalations_and_notifications': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('escalations')
        .addColumn('alert_id', 'text', (c) => c.primaryKey())
        .addColumn('steps', 'text', (c) => c.notNull())
        .addColumn('next_firing', 'integer', (c) => c.notNull())
        .addColumn('next_due_at', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .execute();
      // The scheduler's question: which escalations are due? Finished ones have no due time.
      await db.schema
        .createIndex('escalations_by_due')
        .on('escalations')
        .column('next_due_at')
        .where('next_due_at', 'is not', null)
        .execute();

      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('alert_id', 'text')
        .addColumn('device_id', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('step', 'integer')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('channel_kind', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text')
        .addColumn('sent_at', 'text')
        .addColumn('last_reason', 'text')
        .execute();
      await db.schema
        .createIndex('notifications_by_next_attempt')
        .on('notifications')
        .column('next_attempt_at')
        .where('next_attempt_at', 'is not', null)
        .execute();
      await db.schema
        .createIndex('notifications_by_alert')
        .on('notifications')
        .columns(['alert_id', 'due_at'])
        .where('alert_id', 'is not', null)
        .execute();

      await db.schema
        .createTable('alert_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('channel', 'text')
        .addColumn('step', 'integer')
        .addColumn('detail', 'text')
        .execute();
      await db.schema
        .createIndex('alert_events_by_alert')
        .on('alert_events')
        .columns(['alert_id', 'id'])
        .execute();
    },
  },
};
