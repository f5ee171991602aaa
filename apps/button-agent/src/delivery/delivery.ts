import { describeCode } from '../diagnostics/error-codes';
import { AgentLogger } from '../logging/agent-logger';
import { Spool } from '../spool/spool';
import { AlertBody } from '../spool/spooled-alert';
import { AlertSender, DeliveryOutcome } from './alert-sender';
import { backoffDelay } from './backoff';
import { ALERT_RESPONSE_TIMEOUT_MS } from './http-client';

export interface DeliveryOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  random?: () => number;
}

/** While the spool is empty, look again this often even without a watch event. */
const IDLE_RECHECK_MS = 60_000;

/**
 * A request still without an answer after this long hangs (an answer lost on the way, a link
 * dropping packets): the server answers in milliseconds once the alert is on disk, so waiting
 * longer before sending a newer press beside it would only delay that press.
 */
export const HANG_MS = 1000;

/**
 * Newer presses sent beside the oldest alert's request while the link hangs, at most. The
 * oldest alert keeps a request of its own, so a burst of presses cannot hold it back either.
 */
export const MAX_BESIDE = 3;

/**
 * The longest the newest press waits, from being spooled to its own request leaving, behind
 * older requests that get no answer: HANG_MS for the link to count as hanging, or, with every
 * place beside taken, until the first of those requests times out (each lasts
 * ALERT_RESPONSE_TIMEOUT_MS at most). Newer presses go first: one it overtook leaves as soon as
 * a place is free. With an answering server a press simply takes its turn, oldest first.
 */
export const FRESH_PRESS_BOUND_MS = ALERT_RESPONSE_TIMEOUT_MS + HANG_MS;

/** Told when an alert leaves the spool: stored by the server, or refused for good. */
export interface DeliveryListener {
  accepted(alert: AlertBody): void;
  rejected(alert: AlertBody): void;
}

/** Final state of one alert after `deliverUntil`. */
export type DeliveryResult = 'accepted' | 'rejected' | 'pending';

interface Request {
  startedAt: number;
  done: Promise<void>;
}

/**
 * Empties the spool into the server, oldest press first, one request at a time while the
 * server answers: retryable failures of the oldest alert back off (exponential, full jitter,
 * `Retry-After` honoured) and never give up, and a new press cuts that sleep short.
 *
 * A request that gets no answer must not hold back a newer press (on a lossy link each lost
 * answer would cost a full response timeout, press after press). So while the link hangs (a
 * request on the way for HANG_MS, or the last one to end took that long), the newest alerts not
 * yet tried go out at once beside the oldest's, up to MAX_BESIDE. Such a press gets that one
 * early attempt; if it fails too, it waits its turn in the queue. An alert never has two
 * requests on the way at once.
 */
export class Delivery {
  /** Consecutive failures of the oldest alert's requests: the exponent of the backoff. */
  private failures = 0;
  /** When the oldest alert may be tried again; a new press brings it forward. */
  private retryAt = 0;
  /** The request of the oldest alert waiting, while on the way. */
  private head: Request | null = null;
  /** Every request on the way, by alert id. */
  private readonly inFlight = new Map<string, Request>();
  /** Requests made for each alert waiting, for the logs; one missing was never tried here. */
  private readonly attempts = new Map<string, number>();
  /** The last answer (or timeout) came HANG_MS or more after its request: the link hangs. */
  private lastEndedSlow = false;
  private stopped = true;
  private loop: Promise<void> | null = null;
  private pokeRequested = false;
  private pokeLoop: (() => void) | null = null;
  private stopWatching: (() => void) | null = null;

  constructor(
    private readonly spool: Spool,
    private readonly sender: AlertSender,
    private readonly logger: AgentLogger,
    private readonly options: DeliveryOptions,
    private readonly listener: DeliveryListener | null = null,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopWatching = this.spool.watch(() => this.wake());
    this.loop = this.run();
  }

  /** Something new is in the spool: try now rather than at the end of a backoff sleep. */
  wake(): void {
    this.retryAt = 0;
    this.poke();
  }

  /** Stops after the requests on the way (if any) have their answer and the spool is updated. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatching?.();
    this.poke();
    await this.loop;
  }

  /** For `send`: tries this one alert until it is accepted, refused, or the deadline passes. */
  async deliverUntil(alert: AlertBody, deadline: number): Promise<DeliveryResult> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.sender.send(alert);
      const delay = this.retryDelay(outcome, attempt);
      await this.settle(alert, outcome, attempt, delay);
      if (outcome.kind === 'accepted') return 'accepted';
      if (outcome.kind === 'rejected') return 'rejected';
      if (Date.now() + delay >= deadline) return 'pending';
      await this.sleep(delay);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let nextCheckMs: number;
      try {
        nextCheckMs = await this.startRequests();
      } catch (error) {
        // The spool folder itself failed (permissions, disk): keep trying, loudly.
        nextCheckMs = this.backOff(null);
        this.logger.error(
          { code: 'SPOOL_READ_FAILED', err: error, retryInMs: nextCheckMs },
          'cannot read the spool',
        );
      }
      await this.sleep(nextCheckMs);
    }
    await Promise.all([...this.inFlight.values()].map((request) => request.done));
  }

  /** Starts every request allowed now; returns how long until another may be, barring a poke. */
  private async startRequests(): Promise<number> {
    const waiting = await this.spool.ids();
    const present = new Set(waiting);
    for (const id of this.attempts.keys()) if (!present.has(id)) this.attempts.delete(id);
    const notOnTheWay = (id: string) => !this.inFlight.has(id);
    let nextCheckMs = IDLE_RECHECK_MS;

    // While the link hangs: the newest presses first, beside the requests that hang.
    const untried = waiting.filter((id) => notOnTheWay(id) && !this.attempts.has(id)).reverse();
    if (untried.length > 0) {
      const hangsInMs = this.linkHangsInMs();
      if (hangsInMs > 0) nextCheckMs = Math.min(nextCheckMs, hangsInMs);
      else {
        const besideOnTheWay = this.inFlight.size - (this.head ? 1 : 0);
        for (const id of untried.slice(0, MAX_BESIDE - besideOnTheWay)) {
          const alert = await this.spool.load(id);
          if (alert) this.send(alert, false);
        }
      }
    }

    // Then the oldest alert, once its backoff is over.
    const queued = waiting.filter(notOnTheWay);
    if (!this.head && queued.length > 0) {
      const waitMs = this.retryAt - Date.now();
      if (waitMs > 0) nextCheckMs = Math.min(nextCheckMs, waitMs);
      else {
        const oldest = await this.spool.firstReadable(queued);
        if (oldest) this.head = this.send(oldest, true);
      }
    }
    return nextCheckMs;
  }

  /** 0 when the link hangs now, else when the requests on the way would (never: Infinity). */
  private linkHangsInMs(): number {
    if (this.lastEndedSlow) return 0;
    const firstStart = Math.min(...[...this.inFlight.values()].map((request) => request.startedAt));
    return Math.max(0, firstStart + HANG_MS - Date.now());
  }

  /** Sends one request for `alert` and applies its outcome; the oldest alert's sets the backoff. */
  private send(alert: AlertBody, isHead: boolean): Request {
    const attempt = this.attempts.get(alert.id) ?? 0;
    this.attempts.set(alert.id, attempt + 1);
    const request: Request = { startedAt: Date.now(), done: Promise.resolve() };
    request.done = this.sender
      .send(alert)
      .then(async (outcome) => {
        this.lastEndedSlow = Date.now() - request.startedAt >= HANG_MS;
        const delay = isHead ? this.retryDelay(outcome, this.failures) : null;
        await this.settle(alert, outcome, attempt, delay);
        if (outcome.kind !== 'retry') {
          this.attempts.delete(alert.id);
          // An answer that settles an alert shows the server is reachable: the oldest need not wait.
          this.failures = 0;
          this.retryAt = 0;
        } else if (isHead) {
          this.backOff(delay);
        }
      })
      .catch((error: unknown) => {
        // The answer came but the spool could not be updated: the alert is sent again later.
        const retryInMs = isHead ? this.backOff(null) : null;
        this.logger.error(
          { code: 'SPOOL_UPDATE_FAILED', alertId: alert.id, err: error, retryInMs },
          'cannot update the spool after an answer',
        );
      })
      .finally(() => {
        this.inFlight.delete(alert.id);
        if (this.head === request) this.head = null;
        this.poke();
      });
    this.inFlight.set(alert.id, request);
    return request;
  }

  /** Counts a failure of the oldest alert and schedules its retry; returns the delay. */
  private backOff(delay: number | null): number {
    const wait =
      delay ??
      backoffDelay(this.failures, this.options.retryBaseMs, this.options.retryMaxMs, this.options.random);
    this.failures++;
    this.retryAt = Date.now() + wait;
    return wait;
  }

  /** How long to wait before the next try after this outcome: `Retry-After`, or the backoff. */
  private retryDelay(outcome: DeliveryOutcome, failures: number): number {
    if (outcome.kind !== 'retry') return 0;
    return (
      outcome.retryAfterMs ??
      backoffDelay(failures, this.options.retryBaseMs, this.options.retryMaxMs, this.options.random)
    );
  }

  /**
   * Applies one outcome to the spool and logs it. `retryInMs` is null for a press sent beside
   * a hanging request: it is retried in its turn, oldest first.
   */
  private async settle(
    alert: AlertBody,
    outcome: DeliveryOutcome,
    attempt: number,
    retryInMs: number | null,
  ): Promise<void> {
    const ids = { alertId: alert.id, type: alert.type, attempt: attempt + 1 };
    if (outcome.kind === 'accepted') {
      await this.spool.remove(alert.id);
      this.logger.info(
        { event: 'alert.delivered', ...ids, status: outcome.status, duplicate: outcome.status === 200 },
        outcome.status === 200 ? 'alert was already stored by the server' : 'alert delivered',
      );
      this.listener?.accepted(alert);
      return;
    }
    if (outcome.kind === 'rejected') {
      await this.spool.reject(alert.id, outcome.answer);
      const { meaning, check } = describeCode(outcome.code);
      this.logger.error(
        { event: 'alert.rejected', ...ids, code: outcome.code, status: outcome.status, meaning, check },
        `the server refused the alert: ${meaning}; it is kept in ${this.spool.rejectedDir}`,
      );
      this.listener?.rejected(alert);
      return;
    }
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
        retryInMs,
      },
      `alert not delivered yet (${outcome.code}): ${meaning}`,
    );
  }

  private poke(): void {
    this.pokeRequested = true;
    this.pokeLoop?.();
  }

  /** Waits `ms` unless poked; a poke that came first makes it return at once. */
  private sleep(ms: number): Promise<void> {
    if (this.pokeRequested) {
      this.pokeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pokeLoop = null;
        this.pokeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pokeLoop = done;
    });
  }
}
