import { Injectable, Logger } from '@nestjs/common';
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
import { OnDomainEvent } from '../events/domain-events';

/** Counts domain events. Runs after the response path (async) and never throws into it. */
@Injectable()
export class MetricsListener {
  private readonly logger = new Logger(MetricsListener.name);

  constructor(private readonly metrics: MetricsService) {}

  @OnDomainEvent(ALERT_CREATED)
  onCreated({ alert, ingestSeconds }: AlertCreatedEvent): void {
    this.safely(ALERT_CREATED, () => {
      this.metrics.alertsReceived.inc({ type: alert.type, severity: alert.severity });
      this.metrics.ingestDuration.observe(ingestSeconds);
      const transit = alertTransit(alert);
      if (transit.kind === 'plausible') this.metrics.transit.observe(transit.seconds);
      else this.metrics.clockSkew.inc({ direction: transit.direction });
    });
  }

  @OnDomainEvent(ALERT_DUPLICATE)
  onDuplicate({ ingestSeconds }: AlertDuplicateEvent): void {
    this.safely(ALERT_DUPLICATE, () => {
      this.metrics.alertsDuplicate.inc();
      this.metrics.ingestDuration.observe(ingestSeconds);
    });
  }

  @OnDomainEvent(ALERT_REJECTED)
  onRejected({ reason }: AlertRejectedEvent): void {
    this.safely(ALERT_REJECTED, () => this.metrics.alertsRejected.inc({ reason }));
  }

  @OnDomainEvent(ALERT_ACKNOWLEDGED)
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
