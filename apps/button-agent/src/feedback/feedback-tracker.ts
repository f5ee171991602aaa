import type { AlertType, DeviceAlertEventName } from '@app/contracts/wire';
import { ShownState } from './feedback-output';

type AlertStage = 'spooled' | 'stored' | 'acknowledged' | 'resolved';

interface KnownAlert {
  type: AlertType;
  stage: AlertStage;
  /** Order of first sight: among alerts at one stage, the newest is the one shown. */
  seen: number;
}

/**
 * Resolved alerts remembered, so a late word about one (a retry answered `200` after the
 * resolution) cannot bring it back; a device raises a few alerts a day.
 */
const RESOLVED_REMEMBERED = 256;

/** How far each stage is: an alert never goes back (a late `stored` after `acknowledged`). */
const RANK: Record<AlertStage, number> = { spooled: 0, stored: 1, acknowledged: 2, resolved: 3 };

const STAGE_OF: Record<DeviceAlertEventName, AlertStage> = {
  'alert.stored': 'stored',
  'alert.acknowledged': 'acknowledged',
  'alert.resolved': 'resolved',
};

/**
 * What the button shows, derived from what the agent knows of its alerts (the spool, the
 * server's answers, the device stream) and whether the server can be reached. The most
 * pressing wins: an alert still in the spool (the person must see it is not through yet), then
 * one stored but not acknowledged, then one acknowledged (help is coming), then `unreachable`
 * when the server cannot be reached, then the end of the latest alert (`resolved`), else `idle`.
 * Among alerts at one stage, the newest press is the one named.
 */
export class FeedbackTracker {
  private readonly alerts = new Map<string, KnownAlert>();
  private reachable = true;
  private lastResolved: string | null = null;
  private readonly resolved = new Set<string>();
  private sightings = 0;

  constructor(private readonly silentTypes: readonly AlertType[]) {}

  /** A press written to the spool, or found there at start. */
  spooled(alertId: string, type: AlertType): void {
    this.advance(alertId, type, 'spooled');
  }

  /** The server answered 2xx to the alert's POST: it is stored. */
  accepted(alertId: string, type: AlertType): void {
    this.advance(alertId, type, 'stored');
  }

  /** The server refused the alert for good (moved to the spool's rejected folder). */
  rejected(alertId: string): void {
    this.alerts.delete(alertId);
  }

  /** An event of the device stream. */
  serverEvent(event: DeviceAlertEventName, alertId: string, type: AlertType): void {
    this.advance(alertId, type, STAGE_OF[event]);
  }

  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  current(): ShownState {
    for (const stage of ['spooled', 'stored', 'acknowledged'] as const) {
      const newest = this.newestAt(stage);
      if (newest) return { state: stage, alertId: newest.id, sound: !this.silentTypes.includes(newest.type) };
    }
    if (!this.reachable) return { state: 'unreachable', alertId: null, sound: false };
    if (this.lastResolved !== null) return { state: 'resolved', alertId: this.lastResolved, sound: false };
    return { state: 'idle', alertId: null, sound: false };
  }

  private advance(alertId: string, type: AlertType, stage: AlertStage): void {
    if (this.resolved.has(alertId)) return;
    const known = this.alerts.get(alertId);
    if (known && RANK[known.stage] >= RANK[stage]) return;
    if (stage === 'resolved') {
      // Nothing more will happen to it: only its id is kept.
      this.alerts.delete(alertId);
      this.resolved.add(alertId);
      if (this.resolved.size > RESOLVED_REMEMBERED)
        this.resolved.delete(this.resolved.values().next().value!);
      this.lastResolved = alertId;
      return;
    }
    this.alerts.set(alertId, { type, stage, seen: known?.seen ?? this.sightings++ });
  }

  private newestAt(stage: AlertStage): ({ id: string } & KnownAlert) | null {
    let newest: ({ id: string } & KnownAlert) | null = null;
    for (const [id, alert] of this.alerts) {
      if (alert.stage === stage && (!newest || alert.seen > newest.seen)) newest = { id, ...alert };
    }
    return newest;
  }
}
