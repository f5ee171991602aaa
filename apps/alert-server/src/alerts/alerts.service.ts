import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import {
  ALERT_ACKNOWLEDGED,
  ALERT_CREATED,
  ALERT_DUPLICATE,
  ALERT_RESOLVED,
  Alert,
  AlertAcknowledgedEvent,
  AlertSeverity,
  AlertCreatedEvent,
  AlertDuplicateEvent,
  AlertPage,
  AlertResolvedEvent,
  CreateAlertDto,
  ListAlertsQuery,
  TimelineEntry,
  defaultSeverity,
  uuidv7,
} from '@app/contracts';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DevicesService } from '../devices/devices.service';
import { ruleFor } from '../notifications/notify-config';
import { Reception } from '../http/received-at';
import { decodeCursor, encodeCursor } from './alert-cursor';
import { contentDifferences, toAlert } from './alert.mapper';
import { alertTimeline } from './alert-timeline';
import { AlertsRepository } from './alerts.repository';
import { AlertsTable } from './alerts.schema';
import { HandleAlertArgs } from './alerts.writes';
import { DomainEvents } from '../events/domain-events';

/** Who handles an alert, and their note. */
export interface Handling {
  by: string;
  note?: string;
}

export interface CreateAlertResult {
  alert: Alert;
  /** False for a retry answered from the store. */
  created: boolean;
}

@Injectable()
export class AlertsService {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly devices: DevicesService,
    private readonly events: DomainEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Stores a new alert durably, or answers a retry of one with what is stored. */
  async create(dto: CreateAlertDto, reception: Reception): Promise<CreateAlertResult> {
    const receivedAt = reception.at;
    const row = newAlertRow(dto, receivedAt);
    const rule = ruleFor(this.config.notify, { type: dto.type, severity: row.severity as AlertSeverity });
    const outcome = await this.alerts.create(row, rule?.steps ?? null);

    if (outcome.created) {
      const alert = toAlert(row);
      // An alert without a location says nothing about where the device is: keep the known one,
      // as the stored upsert does.
      this.devices.recordActivity(alert.deviceId, receivedAt, { location: dto.location ?? undefined }, false);
      this.events.emit(ALERT_CREATED, new AlertCreatedEvent(alert, secondsSince(reception)));
      return { alert, created: true };
    }
    const differences = contentDifferences(outcome.stored, row);
    if (differences.length > 0) {
      const detail = `alert ${row.id} already exists with a different ${differences.join(', ')}: a new alert needs a new id`;
      throw new ConflictException(detail);
    }
    const alert = toAlert(outcome.stored);
    // A retry changes nothing stored; the device's next heartbeat or alert records it.
    this.devices.recordActivity(alert.deviceId, receivedAt, {}, false);
    this.events.emit(ALERT_DUPLICATE, new AlertDuplicateEvent(alert, secondsSince(reception)));
    return { alert, created: false };
  }

  async findOne(id: string): Promise<Alert> {
    const row = await this.alerts.findById(normalizeId(id));
    if (!row) throw alertNotFound(id);
    return toAlert(row);
  }

  /** The alert's life, oldest first: its own changes, and what its escalation did. */
  async timeline(id: string): Promise<TimelineEntry[]> {
    const row = await this.alerts.findById(normalizeId(id));
    if (!row) throw alertNotFound(id);
    return alertTimeline(row, await this.alerts.events(row.id));
  }

  async list(query: ListAlertsQuery): Promise<AlertPage> {
    const after = query.before ? decodeCursor(query.before) : null;
    // One extra row tells whether another page exists without a count.
    const rows = await this.alerts.list(query, after, query.limit + 1);
    const items = rows.slice(0, query.limit).map(toAlert);
    const last = items[items.length - 1];
    const nextCursor = rows.length > query.limit ? encodeCursor(last) : null;
    return { items, nextCursor };
  }

  /** The first acknowledgement stands; a resolved alert can no longer be acknowledged. */
  async acknowledge(id: string, handling: Handling, at = new Date()): Promise<Alert> {
    const outcome = await this.alerts.acknowledge(handleArgs(id, handling, at));
    if (outcome.kind === 'missing') throw alertNotFound(id);
    if (outcome.kind === 'resolved') {
      throw new ConflictException(`alert ${id} is already resolved: it can no longer be acknowledged`);
    }
    const alert = toAlert(outcome.row);
    if (outcome.kind === 'changed') this.events.emit(ALERT_ACKNOWLEDGED, new AlertAcknowledgedEvent(alert));
    return alert;
  }

  /** Resolving twice returns the alert as the first resolution left it. */
  async resolve(id: string, handling: Handling, at = new Date()): Promise<Alert> {
    const outcome = await this.alerts.resolve(handleArgs(id, handling, at));
    if (outcome.kind === 'missing') throw alertNotFound(id);
    const alert = toAlert(outcome.row);
    if (outcome.kind === 'changed')
      this.events.emit(ALERT_RESOLVED, new AlertResolvedEvent(alert, outcome.wasOpen));
    return alert;
  }
}

function handleArgs(id: string, handling: Handling, at: Date): HandleAlertArgs {
  return { id: normalizeId(id), at: at.toISOString(), by: handling.by, note: handling.note ?? null };
}

/** The row stored for a new alert (also the specs' way to make one). */
export function newAlertRow(dto: CreateAlertDto, receivedAt: Date): AlertsTable {
  return {
    id: dto.id ? normalizeId(dto.id) : uuidv7(receivedAt.getTime()),
    device_id: dto.deviceId,
    type: dto.type,
    severity: dto.severity ?? defaultSeverity(dto.type),
    location: dto.location ?? null,
    message: dto.message ?? null,
    button: dto.button ?? null,
    triggered_at: dto.triggeredAt ? new Date(dto.triggeredAt).toISOString() : receivedAt.toISOString(),
    triggered_at_from_device: dto.triggeredAt ? 1 : 0,
    received_at: receivedAt.toISOString(),
    status: 'open',
    acknowledged_at: null,
    acknowledged_by: null,
    acknowledgement_note: null,
    resolved_at: null,
    resolved_by: null,
    resolution_note: null,
  };
}

/** UUIDs compare case-insensitively: one alert, however the device spells its id. */
function normalizeId(id: string): string {
  return id.toLowerCase();
}

function alertNotFound(id: string): NotFoundException {
  return new NotFoundException(`alert ${id} not found`);
}

/** From reception (before the body was read and validated) to now, after the commit. */
function secondsSince(reception: Reception): number {
  return (performance.now() - reception.startedMs) / 1000;
}
