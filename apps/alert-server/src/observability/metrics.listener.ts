import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_DUPLICATE,
  ALERT_REJECTED,
  AlertAcknowledgedEvent,
  AlertCreatedEvent,
  AlertDuplicateEvent,
  AlertRejectedEvent,
} from '@app/contracts';
import { alertTransit } from './alert-transit';
import { MetricsService } from './metrics.service';

/** Counts domain events. Runs after the response path (async) and never throws into it. */
@Injectable()
export class MetricsListener {
  private readonly logger = new Logger(MetricsListener.name);

  constructor(private readonly metrics: MetricsService) {}

  @OnEvent(ALERT_CREATED, { async: true })
  onCreated({ alert, ingestSeconds }: AlertCreatedEvent): void {
    this.safely(ALERT_CREATED, () => {
      this.metrics.alertsReceived.inc({ type: alert.type, severity: alert.severity });
      this.metrics.ingestDuration.observe(ingestSeconds);
      const transit = alertTransit(alert);
      if (transit.kind === 'plausible') this.metrics.transit.observe(transit.seconds);
      else this.metrics.clockSkew.inc({ direction: transit.direction });
    });
  }

  @OnEvent(ALERT_DUPLICATE, { async: true })
  onDuplicate({ ingestSeconds }: AlertDuplicateEvent): void {
    this.safely(ALERT_DUPLICATE, () => {
      this.metrics.alertsDuplicate.inc();
      this.metrics.ingestDuration.observe(ingestSeconds);
    });
  }

  @OnEvent(ALERT_REJECTED, { async: true })
  onRejected({ reason }: AlertRejectedEvent): void {
    this.safely(ALERT_REJECTED, () => this.metrics.alertsRejected.inc({ reason }));
  }

  @OnEvent(ALERT_ACKNOWLEDGED, { async: true })
  onAcknowledged({ alert }: AlertAcknowledgedEvent): void {
    this.safely(ALERT_ACKNOWLEDGED, () => {
      const seconds = (Date.parse(alert.acknowledgedAt!) - Date.parse(alert.receivedAt)) / 1000;
      this.metrics.acknowledgeDuration.observe({ type: alert.type }, Math.max(0, seconds));
    });
  }

  private safely(event: string, update: () => void): void {
    try {
      update();
    } catch (error) {
      this.logger.error({ code: 'METRICS_LISTENER_FAILED', event, err: error }, 'metrics update failed');
    }
  }
}
