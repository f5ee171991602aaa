import { describeCode } from '../diagnostics/error-codes';
import { AgentLogger } from '../logging/agent-logger';
import { Spool } from '../spool/spool';
import { AlertBody } from '../spool/spooled-alert';
import { AlertSender, DeliveryOutcome } from './alert-sender';
import { backoffDelay } from './backoff';

export interface DeliveryOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  random?: () => number;
}

/** While the spool is empty, look again this often even without a watch event. */
const IDLE_RECHECK_MS = 60_000;

/** Final state of one alert after `deliverUntil`. */
export type DeliveryResult = 'accepted' | 'rejected' | 'pending';

/**
 * Empties the spool into the server, oldest press first, one at a time. Retryable failures
 * back off (exponential, full jitter, `Retry-After` honoured) and never give up. A new press
 * wakes it at once, even in the middle of a backoff sleep.
 */
export class Delivery {
  private attempt = 0;
  private stopped = true;
  private loop: Promise<void> | null = null;
  private wakeRequested = false;
  private wakeUp: (() => void) | null = null;
  private stopWatching: (() => void) | null = null;

  constructor(
    private readonly spool: Spool,
    private readonly sender: AlertSender,
    private readonly logger: AgentLogger,
    private readonly options: DeliveryOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopWatching = this.spool.watch(() => this.wake());
    this.loop = this.run();
  }

  /** Something new is in the spool: try now rather than at the end of a backoff sleep. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** Stops after the request in flight (if any) has its answer and the spool is updated. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatching?.();
    this.wake();
    await this.loop;
  }

  /** For `send`: tries this one alert until it is accepted, refused, or the deadline passes. */
  async deliverUntil(alert: AlertBody, deadline: number): Promise<DeliveryResult> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.sender.send(alert);
      const delay = await this.settle(alert, outcome, attempt);
      if (outcome.kind === 'accepted') return 'accepted';
      if (outcome.kind === 'rejected') return 'rejected';
      if (Date.now() + delay >= deadline) return 'pending';
      await this.sleep(delay);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let delay = 0;
      try {
        const alert = await this.spool.oldest();
        if (!alert) {
          // Idle until a new file appears; the slow timer only backs up a lost watch event.
          await this.sleep(IDLE_RECHECK_MS);
          continue;
        }
        const outcome = await this.sender.send(alert);
        delay = await this.settle(alert, outcome, this.attempt);
        this.attempt = outcome.kind === 'retry' ? this.attempt + 1 : 0;
      } catch (error) {
        // The spool folder itself failed (permissions, disk): keep trying, loudly.
        delay = backoffDelay(
          this.attempt++,
          this.options.retryBaseMs,
          this.options.retryMaxMs,
          this.options.random,
        );
        this.logger.error(
          { code: 'SPOOL_READ_FAILED', err: error, retryInMs: delay },
          'cannot read the spool',
        );
      }
      if (delay > 0) await this.sleep(delay);
    }
  }

  /** Applies one outcome to the spool and logs it; returns how long to wait before the next try. */
  private async settle(alert: AlertBody, outcome: DeliveryOutcome, attempt: number): Promise<number> {
    const ids = { alertId: alert.id, type: alert.type, attempt: attempt + 1 };
    if (outcome.kind === 'accepted') {
      await this.spool.remove(alert.id);
      this.logger.info(
        { event: 'alert.delivered', ...ids, status: outcome.status, duplicate: outcome.status === 200 },
        outcome.status === 200 ? 'alert was already stored by the server' : 'alert delivered',
      );
      return 0;
    }
    if (outcome.kind === 'rejected') {
      await this.spool.reject(alert.id, outcome.answer);
      const { meaning, check } = describeCode(outcome.code);
      this.logger.error(
        { event: 'alert.rejected', ...ids, code: outcome.code, status: outcome.status, meaning, check },
        `the server refused the alert: ${meaning}; it is kept in ${this.spool.rejectedDir}`,
      );
      return 0;
    }
    const delay =
      outcome.retryAfterMs ??
      backoffDelay(attempt, this.options.retryBaseMs, this.options.retryMaxMs, this.options.random);
    const { meaning, check } = describeCode(outcome.code);
    // A token problem needs a person: say so at every attempt, not only in debug.
    const level = outcome.status === 401 || outcome.status === 403 ? 'error' : 'warn';
    this.logger[level](
      {
        event: 'alert.delivery_failed',
        ...ids,
        code: outcome.code,
        status: outcome.status,
        detail: outcome.detail,
        meaning,
        check,
        retryInMs: delay,
      },
      `alert not delivered yet (${outcome.code}): ${meaning}`,
    );
    return delay;
  }

  /** Waits `ms` (forever for Infinity) unless woken; a wake that came first makes it return at once. */
  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wakeUp = null;
        this.wakeRequested = false;
        resolve();
      };
      if (Number.isFinite(ms)) timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
