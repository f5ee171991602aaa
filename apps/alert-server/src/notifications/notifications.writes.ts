import type { Transaction } from 'kysely';
import { uuidv7 } from '@app/contracts';
import type { Database } from '../app-store';
import type { WriteOperation } from '../store/write-operation';
import { escalationSchedule, type Firing } from './escalation-schedule';
import type { AlertEventsTable, NotificationsTable, NotificationSubjectType } from './notifications.schema';
import type { EscalationStep } from './notify-config';

/** A channel as a notification row names it: the kind decides who gets an acknowledgement. */
export interface ChannelRef {
  name: string;
  kind: string;
}

const at = (iso: string, offsetMs: number) => new Date(Date.parse(iso) + offsetMs).toISOString();

function pendingRow(
  fields: Pick<NotificationsTable, 'alert_id' | 'device_id' | 'subject' | 'step' | 'due_at'>,
  channel: ChannelRef,
): NotificationsTable {
  return {
    id: uuidv7(Date.parse(fields.due_at)),
    ...fields,
    channel: channel.name,
    channel_kind: channel.kind,
    state: 'pending',
    attempts: 0,
    next_attempt_at: fields.due_at,
    sent_at: null,
    last_reason: null,
  };
}

/**
 * Starts an alert's escalation in the transaction that stores the alert: an alert is never
 * stored without its escalation, whatever crashes.
 */
export async function startEscalation(
  trx: Transaction<Database>,
  alertId: string,
  receivedAt: string,
  steps: readonly EscalationStep[],
): Promise<void> {
  const first = escalationSchedule(steps)[0];
  await trx
    .insertInto('escalations')
    .values({
      alert_id: alertId,
      steps: JSON.stringify(steps),
      next_firing: 0,
      next_due_at: first ? at(receivedAt, first.offsetMs) : null,
      state: first ? 'active' : 'finished',
    })
    .execute();
}

/**
 * In the transaction that acknowledges or resolves an alert: no step fires after it, the
 * escalation's notifications not yet sent are dropped, and the channels that were told hear
 * the end (every one of them for a resolution; Alertmanager, which holds the alert as active,
 * for an acknowledgement).
 */
export async function endEscalation(
  trx: Transaction<Database>,
  alertId: string,
  endedAt: string,
  ending: 'acknowledged' | 'resolved',
): Promise<void> {
  await trx
    .updateTable('escalations')
    .set({ state: 'cancelled', next_due_at: null })
    .where('alert_id', '=', alertId)
    .where('state', '=', 'active')
    .execute();
  await trx
    .updateTable('notifications')
    .set({ state: 'cancelled', next_attempt_at: null })
    .where('alert_id', '=', alertId)
    .where('subject', '=', 'alert.escalated')
    .where('state', '=', 'pending')
    .execute();
  const told = await trx
    .selectFrom('notifications')
    .select(['channel', 'channel_kind'])
    .distinct()
    .where('alert_id', '=', alertId)
    .where('subject', '=', 'alert.escalated')
    .where('state', '=', 'sent')
    .orderBy('channel')
    .execute();
  const subject: NotificationSubjectType = ending === 'resolved' ? 'alert.resolved' : 'alert.acknowledged';
  const recipients = ending === 'resolved' ? told : told.filter((row) => row.channel_kind === 'alertmanager');
  for (const channel of recipients) {
    await trx
      .insertInto('notifications')
      .values(
        pendingRow(
          { alert_id: alertId, device_id: null, subject, step: null, due_at: endedAt },
          { name: channel.channel, kind: channel.channel_kind },
        ),
      )
      .execute();
  }
}

export interface FireDueArgs {
  now: string;
  /** The channels the file names now, by name: a step naming one since removed is skipped. */
  channels: ChannelRef[];
  limit: number;
}

export interface FiredStep {
  alertId: string;
  step: number;
  repeat: number;
  /** The channels told, as named in the step (those no longer configured are left out). */
  channels: string[];
  missing: string[];
}

/**
 * Every escalation firing due by `now`, each in this transaction with the check that its alert
 * is still open. After downtime several firings of one escalation may be due at once: every
 * step fires, but of a step's repeats only the latest, so a restart does not ring a phone
 * twenty times in a row.
 */
const fireDue: WriteOperation<Database, FireDueArgs, FiredStep[]> = async (trx, { now, channels, limit }) => {
  const due = await trx
    .selectFrom('escalations')
    .innerJoin('alerts', 'alerts.id', 'escalations.alert_id')
    .select([
      'escalations.alert_id',
      'escalations.steps',
      'escalations.next_firing',
      'alerts.received_at',
      'alerts.status',
    ])
    .where('escalations.next_due_at', 'is not', null)
    .where('escalations.next_due_at', '<=', now)
    .orderBy('escalations.next_due_at')
    .limit(limit)
    .execute();
  const known = new Map(channels.map((channel) => [channel.name, channel]));
  const fired: FiredStep[] = [];
  for (const escalation of due) {
    if (escalation.status !== 'open') {
      await finish(trx, escalation.alert_id, 'cancelled', escalation.next_firing);
      continue;
    }
    const steps = JSON.parse(escalation.steps) as EscalationStep[];
    const schedule = escalationSchedule(steps);
    let next = escalation.next_firing;
    const dueNow: Firing[] = [];
    while (next < schedule.length && at(escalation.received_at, schedule[next].offsetMs) <= now) {
      dueNow.push(schedule[next++]);
    }
    for (const firing of latestRepeatsOnly(dueNow)) {
      const step = steps[firing.step - 1];
      const told = step.notify.filter((name) => known.has(name));
      const dueAt = at(escalation.received_at, firing.offsetMs);
      for (const name of told) {
        await trx
          .insertInto('notifications')
          .values(
            pendingRow(
              {
                alert_id: escalation.alert_id,
                device_id: null,
                subject: 'alert.escalated',
                step: firing.step,
                due_at: dueAt,
              },
              known.get(name)!,
            ),
          )
          .execute();
      }
      const repeat = firing.repeat > 0 ? `repeat ${firing.repeat}` : null;
      await recordAlertEvent(
        trx,
        escalation.alert_id,
        dueAt,
        'escalated',
        { channel: null, step: firing.step },
        repeat,
      );
      fired.push({
        alertId: escalation.alert_id,
        step: firing.step,
        repeat: firing.repeat,
        channels: told,
        missing: step.notify.filter((name) => !known.has(name)),
      });
    }
    if (next < schedule.length) {
      await trx
        .updateTable('escalations')
        .set({ next_firing: next, next_due_at: at(escalation.received_at, schedule[next].offsetMs) })
        .where('alert_id', '=', escalation.alert_id)
        .execute();
    } else {
      await finish(trx, escalation.alert_id, 'finished', next);
    }
  }
  return fired;
};

function latestRepeatsOnly(firings: Firing[]): Firing[] {
  const lastRepeat = new Map<number, Firing>();
  for (const firing of firings) if (firing.repeat > 0) lastRepeat.set(firing.step, firing);
  return firings.filter((firing) => firing.repeat === 0 || lastRepeat.get(firing.step) === firing);
}

async function finish(
  trx: Transaction<Database>,
  alertId: string,
  state: 'finished' | 'cancelled',
  nextFiring: number,
): Promise<void> {
  await trx
    .updateTable('escalations')
    .set({ state, next_due_at: null, next_firing: nextFiring })
    .where('alert_id', '=', alertId)
    .execute();
}

/** One entry of the alert's timeline, in the transaction of what it records. */
async function recordAlertEvent(
  trx: Transaction<Database>,
  alertId: string,
  at: string,
  kind: AlertEventsTable['kind'],
  { channel, step }: { channel: string | null; step: number | null },
  detail: string | null,
): Promise<void> {
  await trx
    .insertInto('alert_events')
    .values({ alert_id: alertId, at, kind, channel, step, detail })
    .execute();
}

export interface ClaimArgs {
  now: string;
  /** Until when a claimed send may run: after it, a crash's in-flight send is due again. */
  leaseUntil: string;
  limit: number;
}

/** The pending notifications due by `now`, claimed for one send each. */
const claimDue: WriteOperation<Database, ClaimArgs, NotificationsTable[]> = async (
  trx,
  { now, leaseUntil, limit },
) => {
  const due = await trx
    .selectFrom('notifications')
    .selectAll()
    .where('next_attempt_at', 'is not', null)
    .where('next_attempt_at', '<=', now)
    .where('state', '=', 'pending')
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  for (const row of due) {
    row.attempts += 1;
    row.next_attempt_at = leaseUntil;
    await trx
      .updateTable('notifications')
      .set({ attempts: row.attempts, next_attempt_at: leaseUntil })
      .where('id', '=', row.id)
      .execute();
  }
  return due;
};

export interface SentArgs {
  id: string;
  at: string;
}

/** A receiver accepted it. Recorded even if the alert was handled meanwhile: it was told. */
const markSent: WriteOperation<Database, SentArgs, void> = async (trx, { id, at: sentAt }) => {
  const row = await trx
    .updateTable('notifications')
    .set({ state: 'sent', sent_at: sentAt, next_attempt_at: null, last_reason: null })
    .where('id', '=', id)
    .where('state', 'in', ['pending', 'cancelled'])
    .returning(['alert_id', 'channel', 'step'])
    .executeTakeFirst();
  if (row?.alert_id) await recordAlertEvent(trx, row.alert_id, sentAt, 'notification.sent', row, null);
};

export interface FailedArgs {
  id: string;
  at: string;
  reason: string;
  /** When to try again; null: give up (it has failed for long enough). */
  retryAt: string | null;
}

/** A send failed: tried again later, or given up. A cancelled notification stays cancelled. */
const markFailed: WriteOperation<Database, FailedArgs, void> = async (
  trx,
  { id, at: failedAt, reason, retryAt },
) => {
  const row = await trx
    .updateTable('notifications')
    .set({
      state: retryAt === null ? 'abandoned' : 'pending',
      next_attempt_at: retryAt,
      last_reason: reason,
    })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .returning(['alert_id', 'channel', 'step'])
    .executeTakeFirst();
  if (row?.alert_id) {
    const detail = retryAt === null ? `${reason}; given up` : reason;
    await recordAlertEvent(trx, row.alert_id, failedAt, 'notification.failed', row, detail);
  }
};

export interface DeviceOfflineArgs {
  deviceId: string;
  at: string;
  channels: ChannelRef[];
}

const announceDeviceOffline: WriteOperation<Database, DeviceOfflineArgs, void> = async (
  trx,
  { deviceId, at: offlineAt, channels },
) => {
  for (const channel of channels) {
    await trx
      .insertInto('notifications')
      .values(
        pendingRow(
          { alert_id: null, device_id: deviceId, subject: 'device.offline', step: null, due_at: offlineAt },
          channel,
        ),
      )
      .execute();
  }
};

export const NOTIFICATION_WRITES = {
  'escalation.fireDue': fireDue,
  'notification.claimDue': claimDue,
  'notification.sent': markSent,
  'notification.failed': markFailed,
  'notification.deviceOffline': announceDeviceOffline,
};
