import type {
  AlertType,
  DeviceAlertEvent,
  DeviceAlertEventName,
  DeviceFeedbackShown,
} from '@app/contracts/wire';
import { AgentLogger } from '../logging/agent-logger';
import { FeedbackOutput, ShownState } from './feedback-output';
import { FeedbackTracker } from './feedback-tracker';
import { ServerEventsListener } from './server-events';

/**
 * What the button shows the person who pressed: told by the spool, the delivery, the heartbeat
 * and the device stream, it logs each change as `feedback.state` and hands it to the output (a
 * light and a buzzer, or the terminal). Nothing here can hold up an alert: an output that fails
 * is logged, never thrown to the caller.
 */
/** That the button showed an alert's state, for the alert's timeline (sent with a heartbeat). */
export interface FeedbackReport {
  alertId: string;
  state: DeviceFeedbackShown;
  at: string;
}

/** Reports kept while the server cannot be reached: the oldest go first when there are more. */
const MAX_UNREPORTED = 50;
/** Reports per heartbeat, as the server accepts. */
export const REPORTS_PER_HEARTBEAT = 20;

export class Feedback implements ServerEventsListener {
  private shown: ShownState | null = null;
  /** Only `run` shows anything: `send` and `doctor` share the delivery but have no button. */
  private active = false;
  private unreported: FeedbackReport[] = [];
  /** Called when there is something to report: the heartbeat goes out at once rather than later. */
  onReport: () => void = () => undefined;

  constructor(
    private readonly tracker: FeedbackTracker,
    private readonly logger: AgentLogger,
    private output: FeedbackOutput | null = null,
  ) {}

  /** Where the state is shown from now on (`run` picks it once the GPIO is known); shown at once. */
  useOutput(output: FeedbackOutput | null): void {
    this.output = output;
    if (this.shown) this.showOn(this.shown);
  }

  /** The state the agent starts with: `idle`, or `spooled` for presses an earlier run left. */
  start(): void {
    this.active = true;
    this.update();
  }

  stop(): void {
    this.active = false;
  }

  spooled(alertId: string, type: AlertType): void {
    this.tracker.spooled(alertId, type);
    this.update();
  }

  accepted(alertId: string, type: AlertType): void {
    this.tracker.accepted(alertId, type);
    this.tracker.setReachable(true);
    this.update();
  }

  rejected(alertId: string): void {
    this.tracker.rejected(alertId);
    this.update();
  }

  /**
   * A heartbeat's outcome (null: taken, else the failure's code): the periodic word on whether
   * alerts can get through. A server that says to slow down (429) or refuses the body (another
   * 4xx) was reached: that changes nothing shown.
   */
  heartbeat(code: string | null): void {
    if (code === null) this.tracker.setReachable(true);
    else if (cannotDeliver(code)) this.tracker.setReachable(false);
    else return;
    this.update();
  }

  onEvent(event: DeviceAlertEventName, data: DeviceAlertEvent): void {
    this.tracker.serverEvent(event, data.alertId, data.type);
    this.update();
  }

  onConnected(): void {
    this.tracker.setReachable(true);
    this.update();
  }

  onUnreachable(): void {
    this.tracker.setReachable(false);
    this.update();
  }

  /** What to send with the next heartbeat. */
  reports(): FeedbackReport[] {
    return this.unreported.slice(0, REPORTS_PER_HEARTBEAT);
  }

  /** The server took these (the heartbeat's 204): they are in the timeline. */
  reported(sent: readonly FeedbackReport[]): void {
    this.unreported = this.unreported.filter((report) => !sent.includes(report));
  }

  private update(): void {
    if (!this.active) return;
    const next = this.tracker.current();
    if (this.shown && this.shown.state === next.state && this.shown.alertId === next.alertId) return;
    this.shown = next;
    this.logger.info(
      { event: 'feedback.state', state: next.state, alertId: next.alertId },
      `feedback: ${next.state}${next.alertId ? ` (alert ${next.alertId})` : ''}`,
    );
    if ((next.state === 'stored' || next.state === 'acknowledged') && next.alertId !== null) {
      this.unreported.push({ alertId: next.alertId, state: next.state, at: new Date().toISOString() });
      if (this.unreported.length > MAX_UNREPORTED) this.unreported.shift();
      this.onReport();
    }
    this.showOn(next);
  }

  private showOn(shown: ShownState): void {
    try {
      this.output?.show(shown);
    } catch (error) {
      this.logger.error(
        { code: 'FEEDBACK_OUTPUT_FAILED', err: error },
        'the light or buzzer could not be set',
      );
    }
  }
}

/**
 * Whether a heartbeat's failure means an alert pressed now would not get through: no answer
 * at all (a network code), the server failing (5xx), or the device's token refused (401, 403).
 */
export function cannotDeliver(code: string): boolean {
  const status = /^HTTP_(\d{3})$/.exec(code);
  if (!status) return true;
  return status[1].startsWith('5') || status[1] === '401' || status[1] === '403';
}
