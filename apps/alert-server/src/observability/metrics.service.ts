import { Injectable } from '@nestjs/common';
import { ALERT_SEVERITIES, ALERT_TYPES, REJECTION_REASONS } from '@app/contracts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Current state read from the source of truth at scrape time (never drifts, survives restarts). */
export interface MetricsStateSource {
  openAlerts(): Promise<number>;
  /** Open alerts whose escalation's last step is due by `now` (ms since the epoch). */
  openAlertsPastEscalation(now: number): Promise<number>;
  /** Devices holding a valid token, with when it was made (enrollment or `device add`). */
  tokens(): Promise<Array<{ deviceId: string; tokenCreatedAt: string }>>;
  /** What GET /health/ready says: the store commits. */
  ready(): Promise<boolean>;
  devices(): Promise<
    Array<{
      id: string;
      status: 'online' | 'offline';
      lastSeenAt: string | null;
      spoolDepth: number | null;
    }>
  >;
}

/**
 * The metrics Prometheus scrapes (their names are public: dashboards and alert rules use them), in a registry of this application's own (so several apps in
 * one test process never collide), plus prom-client's process and Node.js defaults.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private stateSource: MetricsStateSource | null = null;

  readonly alertsReceived = new Counter({
    name: 'vigie_alerts_received_total',
    help: 'New alerts stored, by type and severity.',
    labelNames: ['type', 'severity'] as const,
    registers: [this.registry],
  });

  readonly alertsDuplicate = new Counter({
    name: 'vigie_alerts_duplicate_total',
    help: 'Retries of an already stored alert, answered from the store.',
    registers: [this.registry],
  });

  readonly alertsRejected = new Counter({
    name: 'vigie_alerts_rejected_total',
    help: 'Refused POST /alerts requests, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly ingestDuration = new Histogram({
    name: 'vigie_alert_ingest_duration_seconds',
    help: 'Time to validate and durably store one alert.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly transit = new Histogram({
    name: 'vigie_alert_transit_seconds',
    help: 'receivedAt minus triggeredAt: network and spool delay of an alert.',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400],
    registers: [this.registry],
  });

  readonly clockSkew = new Counter({
    name: 'vigie_alert_clock_skew_total',
    help: 'New alerts whose triggeredAt shows a wrong device clock (over 7 days behind or a minute ahead), left out of the transit histogram.',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly acknowledgeDuration = new Histogram({
    name: 'vigie_alert_acknowledge_seconds',
    help: 'From receivedAt to acknowledgement: the operators response time.',
    labelNames: ['type'] as const,
    buckets: [5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400],
    registers: [this.registry],
  });

  readonly notifications = new Counter({
    name: 'vigie_notifications_total',
    help: 'Notification attempts by channel: sent, retried (failed, tried again later), failed (given up).',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly notificationDelay = new Histogram({
    name: 'vigie_notification_delay_seconds',
    help: 'From when a notification was due to when its receiver accepted it.',
    labelNames: ['channel'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly escalations = new Counter({
    name: 'vigie_escalations_total',
    help: 'Escalation steps reached by alerts still not acknowledged (1 is the first step).',
    labelNames: ['step'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every label value exists from the start at 0, so rate() and alert rules see the first event.
    for (const type of ALERT_TYPES) {
      for (const severity of ALERT_SEVERITIES) this.alertsReceived.inc({ type, severity }, 0);
      this.acknowledgeDuration.zero({ type });
    }
    for (const reason of REJECTION_REASONS) this.alertsRejected.inc({ reason }, 0);
    for (const direction of ['behind', 'ahead'] as const) this.clockSkew.inc({ direction }, 0);
    this.registerStateGauges();
  }

  readonly deviceFeedbackStreams = new Gauge({
    name: 'vigie_device_feedback_streams',
    help: 'Devices connected to GET /devices/{id}/events (their agents can show that help is coming).',
    registers: [this.registry],
  });

  /** The channels of the notification file, at 0 from the start (their names are bounded by it). */
  knowChannels(names: readonly string[]): void {
    for (const channel of names) {
      for (const outcome of ['sent', 'retried', 'failed'] as const)
        this.notifications.inc({ channel, outcome }, 0);
      this.notificationDelay.zero({ channel });
    }
  }

  /** Steps 1..`count` (the longest escalation of the file) at 0 from the start, like the channels. */
  knowSteps(count: number): void {
    for (let step = 1; step <= count; step++) this.escalations.inc({ step: String(step) }, 0);
  }

  useStateSource(source: MetricsStateSource): void {
    this.stateSource = source;
  }

  private registerStateGauges(): void {
    const devices = async () => (this.stateSource ? await this.stateSource.devices() : []);
    const openAlerts: Gauge = new Gauge({
      name: 'vigie_alerts_open',
      help: 'Alerts not yet acknowledged.',
      registers: [this.registry],
      collect: async () => {
        if (this.stateSource) openAlerts.set(await this.stateSource.openAlerts());
      },
    });
    const byStatus: Gauge<'status'> = new Gauge({
      name: 'vigie_devices',
      help: 'Known devices by liveness.',
      labelNames: ['status'] as const,
      registers: [this.registry],
      collect: async () => {
        const all = await devices();
        for (const status of ['online', 'offline'] as const) {
          byStatus.set({ status }, all.filter((device) => device.status === status).length);
        }
      },
    });
    const pastEscalation: Gauge = new Gauge({
      name: 'vigie_alerts_past_escalation',
      help: 'Alerts not yet acknowledged after the last step of their escalation was due (with no rule: since reception).',
      registers: [this.registry],
      collect: async () => {
        if (this.stateSource) pastEscalation.set(await this.stateSource.openAlertsPastEscalation(Date.now()));
      },
    });
    const ready: Gauge = new Gauge({
      name: 'vigie_ready',
      help: '1 while GET /health/ready answers 200 (the store commits), else 0.',
      registers: [this.registry],
      collect: async () => {
        if (this.stateSource) ready.set((await this.stateSource.ready()) ? 1 : 0);
      },
    });
    const online: Gauge<'device'> = new Gauge({
      name: 'vigie_device_online',
      help: 'Each known device: 1 online (heard within VIGIE_DEVICE_OFFLINE_AFTER_S), 0 offline or never seen.',
      labelNames: ['device'] as const,
      registers: [this.registry],
      collect: async () => {
        online.reset();
        for (const device of await devices())
          online.set({ device: device.id }, device.status === 'online' ? 1 : 0);
      },
    });
    const enrolled: Gauge<'device'> = new Gauge({
      name: 'vigie_device_enrolled_timestamp_seconds',
      help: "Unix time each device's current token was made (enrollment or device add).",
      labelNames: ['device'] as const,
      registers: [this.registry],
      collect: async () => {
        enrolled.reset();
        for (const { deviceId, tokenCreatedAt } of this.stateSource ? await this.stateSource.tokens() : [])
          enrolled.set({ device: deviceId }, Date.parse(tokenCreatedAt) / 1000);
      },
    });
    const lastSeen: Gauge<'device'> = new Gauge({
      name: 'vigie_device_last_seen_timestamp_seconds',
      help: 'Unix time of the last heartbeat or alert of each device.',
      labelNames: ['device'] as const,
      registers: [this.registry],
      collect: async () => {
        lastSeen.reset();
        for (const device of await devices()) {
          // A device that never spoke has no time: absent, not zero (1970 would read as long silent).
          if (device.lastSeenAt !== null)
            lastSeen.set({ device: device.id }, Date.parse(device.lastSeenAt) / 1000);
        }
      },
    });
    const spoolDepth: Gauge<'device'> = new Gauge({
      name: 'vigie_device_spool_depth',
      help: 'Alerts waiting in each device spool, as its last heartbeat reported.',
      labelNames: ['device'] as const,
      registers: [this.registry],
      collect: async () => {
        spoolDepth.reset();
        for (const device of await devices()) {
          if (device.spoolDepth !== null) spoolDepth.set({ device: device.id }, device.spoolDepth);
        }
      },
    });
  }
}
