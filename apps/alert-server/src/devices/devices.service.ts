import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  DEVICE_OFFLINE,
  DEVICE_ONLINE,
  Device,
  DeviceOfflineEvent,
  DeviceOnlineEvent,
  HeartbeatDto,
} from '@app/contracts';
import { DeviceAuthService } from '../auth/device-auth.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DevicesRepository } from './devices.repository';
import { DevicesTable } from './devices.schema';
import { DomainEvents } from '../events/domain-events';
import { FailureStreak } from '../store/failure-streak';

interface DeviceState {
  row: DevicesTable;
  online: boolean;
  /** A queued write of this device; it takes the latest state when its batch is sent. */
  pendingPersist: Promise<void> | null;
}

/** What a device reports about itself; absent fields keep their last known value. */
export type DeviceReport = Partial<
  Pick<HeartbeatDto, 'location' | 'agentVersion' | 'spoolDepth' | 'uptimeSeconds'>
>;

/**
 * The registry of devices and their liveness. Devices are few (one per office), so the
 * registry lives in memory, written through to the store; a timer notices silence, so a
 * device that stops is reported offline even when nothing else happens.
 */
@Injectable()
export class DevicesService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DevicesService.name);
  /** On a full disk every heartbeat fails: one line per run of failures, not one per heartbeat. */
  private readonly persistFailures = new FailureStreak(this.logger);
  private readonly devices = new Map<string, DeviceState>();
  private livenessTimer: NodeJS.Timeout | undefined;
  private readonly offlineAfterMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repository: DevicesRepository,
    private readonly events: DomainEvents,
    private readonly deviceAuth: DeviceAuthService,
  ) {
    this.offlineAfterMs = config.deviceOfflineAfterSeconds * 1000;
  }

  async onModuleInit(): Promise<void> {
    const now = Date.now();
    for (const row of await this.repository.findAll()) {
      const online = now - Date.parse(row.last_seen_at) <= this.offlineAfterMs;
      this.devices.set(row.id, { row, online, pendingPersist: null });
    }
    // Check often enough that going offline is noticed within a small part of the window.
    const period = Math.min(5000, Math.max(250, this.offlineAfterMs / 10));
    this.livenessTimer = setInterval(() => this.checkLiveness(), period);
    this.livenessTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.livenessTimer);
  }

  /** A heartbeat: answered once the device's state is committed. */
  async heartbeat(deviceId: string, report: HeartbeatDto, at = new Date()): Promise<void> {
    this.recordActivity(deviceId, at, report, false);
    const { feedback } = report;
    await Promise.all([
      this.persist(deviceId),
      feedback?.length
        ? this.repository.recordFeedback({
            deviceId,
            reports: feedback.map(({ alertId, state, at: shownAt }) => ({
              alertId: alertId.toLowerCase(),
              state,
              at: new Date(shownAt).toISOString(),
            })),
          })
        : null,
    ]);
  }

  /**
   * The device spoke (heartbeat or alert): refresh last-seen, bring it online. `persist`
   * false when the caller's own transaction already stored it (an alert).
   */
  recordActivity(deviceId: string, at: Date, report: DeviceReport, persist = true): void {
    const lastSeenAt = at.toISOString();
    let state = this.devices.get(deviceId);
    if (!state) {
      state = {
        row: {
          id: deviceId,
          location: null,
          agent_version: null,
          spool_depth: null,
          uptime_seconds: null,
          first_seen_at: lastSeenAt,
          last_seen_at: lastSeenAt,
        },
        online: false,
        pendingPersist: null,
      };
      this.devices.set(deviceId, state);
    }
    const row = state.row;
    if (lastSeenAt > row.last_seen_at) row.last_seen_at = lastSeenAt;
    if (report.location !== undefined) row.location = report.location;
    if (report.agentVersion !== undefined) row.agent_version = report.agentVersion;
    if (report.spoolDepth !== undefined) row.spool_depth = report.spoolDepth;
    if (report.uptimeSeconds !== undefined) row.uptime_seconds = report.uptimeSeconds;

    if (!state.online) {
      state.online = true;
      this.events.emit(DEVICE_ONLINE, new DeviceOnlineEvent(toDevice(state)));
    }
    if (!persist) return;
    this.persist(deviceId).then(
      () =>
        this.persistFailures.recovered({ code: 'DEVICE_PERSIST_RESUMED' }, 'device state is stored again'),
      (error: unknown) =>
        this.persistFailures.failed(
          { code: 'DEVICE_PERSIST_FAILED', deviceId, err: error },
          'could not store device state',
        ),
    );
  }

  /**
   * Every device: those that spoke, and those with a token (added or enrolled) that never did,
   * offline and never seen, so a button that was never installed or never started shows.
   */
  async list(): Promise<Device[]> {
    const devices = [...this.devices.values()].map(toDevice);
    const seen = new Map(devices.map((device) => [device.id, device]));
    for (const { deviceId, location } of await this.deviceAuth.withValidToken()) {
      const device = seen.get(deviceId);
      // Where it was added for, until its agent says where it is.
      if (device) {
        device.location ??= location;
        continue;
      }
      devices.push({
        id: deviceId,
        location,
        status: 'offline',
        lastSeenAt: null,
        agentVersion: null,
        spoolDepth: null,
      });
    }
    return devices.sort((a, b) => a.id.localeCompare(b.id));
  }

  checkLiveness(now = Date.now()): void {
    for (const state of this.devices.values()) {
      if (state.online && now - Date.parse(state.row.last_seen_at) > this.offlineAfterMs) {
        state.online = false;
        this.events.emit(DEVICE_OFFLINE, new DeviceOfflineEvent(toDevice(state)));
      }
    }
  }

  /** Queues one write of the device's current state; callers meanwhile share that write. */
  private persist(deviceId: string): Promise<void> {
    const state = this.devices.get(deviceId)!;
    state.pendingPersist ??= this.repository.save(() => {
      state.pendingPersist = null;
      return { ...state.row };
    });
    return state.pendingPersist;
  }
}

function toDevice(state: DeviceState): Device {
  return {
    id: state.row.id,
    location: state.row.location,
    status: state.online ? 'online' : 'offline',
    lastSeenAt: state.row.last_seen_at,
    agentVersion: state.row.agent_version,
    spoolDepth: state.row.spool_depth,
  };
}
