import { Logger } from '@nestjs/common';
import type { Notification } from './channels/channel';
import { ChannelSendError } from './channels/channel';
import type { MetricsService } from '../observability/metrics.service';
import type { NotificationChannels } from './notification-channels';
import type { NotificationsTable } from './notifications.schema';
import { SCHEDULER_BATCH, type NotificationsRepository } from './notifications.repository';
import { nextAttemptAt } from './retry-schedule';
import { FailureStreak } from '../store/failure-streak';

/** A receiver that has not accepted within this long is given up on for this attempt. */
export const SEND_TIMEOUT_MS = 10_000;
/** A claimed send not reported by its timeout and this margin (a crash) is due again, same id. */
const LEASE_MARGIN_MS = 5_000;
/**
 * Even with nothing due, look again this often: work may come from elsewhere (a second
 * server on the same database, a clock that jumped).
 */
const IDLE_LOOK_MS = 1_000;
/**
 * Alertmanager ends an alert nobody re-posts within its resolve_timeout (5 minutes by default):
 * an open alert is posted again this often, so it stays active until acknowledged.
 */
export const ALERTMANAGER_REFRESH_MS = 60_000;
/** On shutdown, sends in flight get this long to finish, so fewer are sent twice after a restart. */
const SHUTDOWN_GRACE_MS = 3_000;

export interface SchedulerOptions {
  /** The dashboard's address, for links in notifications. */
  dashboardUrl: string | null;
  /** Tests shorten it. */
  sendTimeoutMs?: number;
}

/**
 * Fires due escalation steps and sends due notifications from the outbox. Every send runs on
 * its own with its own timeout: a channel that hangs or fails holds neither ingestion nor any
 * other channel. A failed send is retried with backoff for an hour after it was due.
 */
export class NotificationScheduler {
  private readonly logger = new Logger('Notifications');
  private timer: NodeJS.Timeout | null = null;
  /** When `timer` fires (ms since the epoch). */
  private timerAt = Infinity;
  /** The earliest due time told by `kickAt` since the current pass began (see `run`). */
  private toldDueAt = Infinity;
  private refreshTimer: NodeJS.Timeout | null = null;
  private readonly refreshFailures = new FailureStreak(this.logger);
  private running: Promise<void> | null = null;
  private runAgain = false;
  private stopped = true;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sendTimeoutMs: number;
  private readonly shuttingDown = new AbortController();

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly channels: NotificationChannels,
    private readonly metrics: MetricsService,
    private readonly options: SchedulerOptions,
  ) {
    this.sendTimeoutMs = options.sendTimeoutMs ?? SEND_TIMEOUT_MS;
  }

  start(): void {
    this.stopped = false;
    this.wakeIn(0);
    this.refreshTimer = setInterval(() => void this.refreshAlertmanager(), ALERTMANAGER_REFRESH_MS);
  }

  /** Something may be due now (an alert was handled, a device went offline): look at once. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.runAgain = true;
    else this.wakeIn(0);
  }

  /**
   * Something becomes due at `dueAt` (ms since the epoch): an alert's first step. Looks then,
   * not at once: during a flood of alerts whose steps are later, a pass per alert (two commits
   * each) would take the store's time from ingestion for nothing.
   */
  kickAt(dueAt: number): void {
    if (this.stopped) return;
    if (dueAt <= Date.now()) return this.kick();
    this.toldDueAt = Math.min(this.toldDueAt, dueAt);
    if (!this.running && dueAt < this.timerAt) this.wakeIn(dueAt - Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.running;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(grace);
    // What still hangs is given up now, while the store can still record it (retried after the
    // restart), rather than ending after the store closed.
    this.shuttingDown.abort();
    await Promise.allSettled([...this.inFlight]);
    await this.channels.closeAll();
  }

  /** Resolves when nothing is being looked at or sent (for tests). */
  async idle(): Promise<void> {
    while (this.running || this.inFlight.size > 0) {
      await this.running;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private wakeIn(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = Date.now() + delayMs;
    this.timer = setTimeout(() => void this.run(), delayMs);
  }

  private async run(): Promise<void> {
    this.timer = null;
    this.timerAt = Infinity;
    this.runAgain = false;
    // What was told before this pass is in the store by now (events follow their commits): the
    // pass, or the next due time read after it, covers it.
    this.toldDueAt = Infinity;
    let full = false;
    this.running = this.lookNow().then(
      (batchWasFull) => {
        full = batchWasFull;
      },
      (error: unknown) => {
        // The store refused (a full disk...): nothing is lost, the rows wait; look again soon.
        this.logger.error(
          { code: 'NOTIFICATIONS_PASS_FAILED', err: error },
          'could not look at due notifications',
        );
      },
    );
    await this.running;
    this.running = null;
    if (this.stopped) return;
    if (full || this.runAgain) return this.wakeIn(0);
    const next = await this.repository.nextDueAt().catch(() => null);
    const untilNext = next === null ? IDLE_LOOK_MS : Date.parse(next) - Date.now();
    // A due time told while that read ran may be missing from it.
    const untilTold = this.toldDueAt - Date.now();
    this.wakeIn(Math.max(0, Math.min(IDLE_LOOK_MS, untilNext, untilTold)));
  }

  /**
   * One look: fire the due steps, claim the due sends and start them (not waiting for them).
   * True if there may be more. The timer calls it; tests call it with a fake clock.
   */
  async lookNow(): Promise<boolean> {
    const now = Date.now();
    const fired = await this.repository.fireDue(new Date(now).toISOString(), this.channels.refs());
    for (const step of fired) {
      if (step.repeat === 0) this.metrics.escalations.inc({ step: String(step.step) });
      this.logger.log(
        {
          event: 'alert.escalated',
          alertId: step.alertId,
          step: step.step,
          repeat: step.repeat,
          channels: step.channels,
        },
        'escalation step reached',
      );
      if (step.missing.length > 0) {
        this.logger.error(
          {
            code: 'NOTIFICATION_CHANNEL_UNKNOWN',
            alertId: step.alertId,
            step: step.step,
            channels: step.missing,
          },
          'a step names channels the notification file no longer has: they were skipped',
        );
      }
    }
    const claimed = await this.repository.claimDue(
      new Date(now).toISOString(),
      new Date(now + this.sendTimeoutMs + LEASE_MARGIN_MS).toISOString(),
    );
    for (const row of claimed) {
      const sending = this.send(row)
        .catch((error: unknown) =>
          // Reading what to send failed (the store): the row stays leased and comes back after it.
          this.logger.error(
            { code: 'NOTIFICATION_SEND_FAILED', notificationId: row.id, err: error },
            'could not prepare a notification',
          ),
        )
        .finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }
    return fired.length === SCHEDULER_BATCH || claimed.length === SCHEDULER_BATCH;
  }

  /**
   * Posts every open alert again to the Alertmanager channels that hold it. Not through the
   * outbox: a refresh that fails is simply the next minute's to make, and it is logged once per
   * run of failures, not per alert.
   */
  async refreshAlertmanager(): Promise<void> {
    let holds: Awaited<ReturnType<NotificationsRepository['alertmanagerHolds']>>;
    try {
      holds = await this.repository.alertmanagerHolds();
    } catch (error) {
      return this.refreshFailures.failed(
        { code: 'ALERTMANAGER_REFRESH_FAILED', err: error },
        'could not list the alerts to refresh',
      );
    }
    const refreshes = holds.map(async ({ alertId, channel: name, notificationId, step }) => {
      const channel = this.channels.get(name);
      const alert = await this.repository.alert(alertId);
      if (!channel || alert?.status !== 'open') return;
      const notification: Notification = {
        id: notificationId,
        type: 'alert.escalated',
        step,
        alert,
        dashboardUrl: this.options.dashboardUrl,
      };
      await channel.send(notification, this.sendSignal());
    });
    const failed = (await Promise.allSettled(refreshes)).filter(
      (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
    );
    if (failed.length === 0) {
      this.refreshFailures.recovered(
        { code: 'ALERTMANAGER_REFRESH_RESUMED' },
        'open alerts are refreshed in Alertmanager again',
      );
      return;
    }
    const reason: unknown = failed[0].reason;
    this.refreshFailures.failed(
      {
        code: 'ALERTMANAGER_REFRESH_FAILED',
        failedAlerts: failed.length,
        reason: reason instanceof ChannelSendError ? reason.reason : 'internal_error',
        err: reason,
      },
      'open alerts could not be posted again to Alertmanager: it ends them after its resolve timeout',
    );
  }

  private async send(row: NotificationsTable): Promise<void> {
    const channel = this.channels.get(row.channel);
    const notification = await this.notificationOf(row);
    if (!channel || !notification) {
      const reason = channel ? 'subject_missing' : 'unknown_channel';
      return this.failed(row, new ChannelSendError(reason, `cannot send: ${reason}`), false);
    }
    try {
      await channel.send(notification, this.sendSignal());
    } catch (error) {
      return this.failed(row, error, true);
    }
    const sentAt = Date.now();
    await this.repository.markSent(row.id, new Date(sentAt).toISOString()).catch((error: unknown) =>
      // The receiver has it; the row stays leased and is sent again after the lease (same id).
      this.logger.error(
        { code: 'NOTIFICATION_RECORD_FAILED', notificationId: row.id, err: error },
        'sent, but not recorded',
      ),
    );
    const delaySeconds = (sentAt - Date.parse(row.due_at)) / 1000;
    this.metrics.notifications.inc({ channel: row.channel, outcome: 'sent' });
    this.metrics.notificationDelay.observe({ channel: row.channel }, Math.max(0, delaySeconds));
    this.logger.log(
      { event: 'notification.sent', ...notificationFields(row), delaySeconds },
      'notification sent',
    );
  }

  private async failed(row: NotificationsTable, error: unknown, retryable: boolean): Promise<void> {
    const now = Date.now();
    const reason = error instanceof ChannelSendError ? error.reason : 'internal_error';
    const retryAt = retryable ? nextAttemptAt(row.due_at, row.attempts, now) : null;
    await this.repository
      .markFailed(row.id, new Date(now).toISOString(), reason, retryAt)
      .catch((recordError: unknown) =>
        this.logger.error(
          { code: 'NOTIFICATION_RECORD_FAILED', notificationId: row.id, err: recordError },
          'a failed send could not be recorded: it is tried again after its lease',
        ),
      );
    this.metrics.notifications.inc({ channel: row.channel, outcome: retryAt ? 'retried' : 'failed' });
    const fields = { ...notificationFields(row), reason, detail: (error as Error)?.message };
    if (retryAt) {
      this.logger.warn(
        { code: 'NOTIFICATION_SEND_FAILED', ...fields, retryAt },
        'notification not accepted: will retry',
      );
    } else {
      this.logger.error({ code: 'NOTIFICATION_ABANDONED', ...fields }, 'notification given up');
    }
  }

  /** Ends a send at its timeout, or at once when the server stops. */
  private sendSignal(): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(this.sendTimeoutMs), this.shuttingDown.signal]);
  }

  private async notificationOf(row: NotificationsTable): Promise<Notification | null> {
    const common = { id: row.id, dashboardUrl: this.options.dashboardUrl };
    if (row.subject === 'device.offline') {
      const device = row.device_id ? await this.repository.device(row.device_id) : null;
      return device ? { ...common, type: 'device.offline', step: null, device } : null;
    }
    const alert = row.alert_id ? await this.repository.alert(row.alert_id) : null;
    if (!alert) return null;
    if (row.subject === 'alert.escalated')
      return { ...common, type: row.subject, step: row.step ?? 1, alert };
    return { ...common, type: row.subject, step: null, alert };
  }
}

/** What identifies a notification in a log line. */
function notificationFields(row: NotificationsTable) {
  return {
    notificationId: row.id,
    subject: row.subject,
    alertId: row.alert_id ?? undefined,
    deviceId: row.device_id ?? undefined,
    channel: row.channel,
    step: row.step ?? undefined,
    attempts: row.attempts,
  };
}
