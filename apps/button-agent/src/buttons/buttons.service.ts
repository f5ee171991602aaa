import { ButtonConfig, AgentConfig } from '../config/agent-config';
import { Delivery } from '../delivery/delivery';
import { ButtonInput } from '../gpio/button-input';
import { AgentLogger } from '../logging/agent-logger';
import { Spool } from '../spool/spool';
import type { AlertBody } from '../spool/spooled-alert';
import { alertForPress } from './alert-factory';
import { PressDetector } from './press-detector';

/**
 * From a press to a durable alert: the press is written to the spool (fsync'd) before
 * anything is sent, then delivery is woken. Writing never waits for the network.
 */
export class ButtonsService {
  private detector: PressDetector | null = null;
  /** Spool writes in progress, awaited on stop so no press is cut mid-write by a clean exit. */
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly config: AgentConfig,
    private readonly spool: Spool,
    private readonly delivery: Delivery,
    private readonly logger: AgentLogger,
    /** A failed fsync cannot be retried safely: the process must exit and restart from disk. */
    private readonly onFatal: (error: unknown) => void,
    /** Told of each press once it is durable: the button shows it is on its way. */
    private readonly onSpooled: (alertId: string, type: AlertBody['type']) => void = () => undefined,
  ) {}

  async start(input: ButtonInput): Promise<void> {
    this.detector = new PressDetector(
      this.config.buttons,
      {
        debounceMs: this.config.debounceMs,
        holdMs: this.config.holdMs,
        presses: this.config.presses,
        pressWindowMs: this.config.pressWindowMs,
      },
      {
        pressed: (button) => this.press(button),
        counted: (button, count, needed) => this.counted(button, count, needed),
      },
    );
    const detector = this.detector;
    await input.start(
      this.config.buttons.map((button) => button.pin),
      (edge) => detector.handle(edge),
    );
  }

  async stop(): Promise<void> {
    this.detector?.stop();
    await Promise.allSettled([...this.writes]);
  }

  /** A press that made no alert: without this line a technician could not tell why nothing was sent. */
  counted(button: ButtonConfig, count: number, needed: number): void {
    this.logger.info(
      {
        event: 'button.press_counted',
        pin: button.pin,
        type: button.type,
        label: button.label,
        count,
        needed,
        windowMs: this.config.pressWindowMs,
      },
      `press ${count} of ${needed}: no alert until ${needed} presses within ${this.config.pressWindowMs} ms`,
    );
  }

  press(button: ButtonConfig): void {
    const alert = alertForPress(this.config, { type: button.type, button });
    this.logger.info(
      { event: 'button.pressed', alertId: alert.id, pin: button.pin, type: button.type, label: button.label },
      'button pressed',
    );
    const write = this.spool.add(alert).then(
      () => {
        this.logger.info({ event: 'alert.spooled', alertId: alert.id, type: alert.type }, 'alert spooled');
        this.delivery.wake();
        this.onSpooled(alert.id, alert.type);
      },
      (error: unknown) => {
        this.logger.fatal(
          { code: 'SPOOL_WRITE_FAILED', alertId: alert.id, err: error },
          'a press could not be made durable: exiting so the supervisor restarts from disk',
        );
        this.onFatal(error);
      },
    );
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }
}
