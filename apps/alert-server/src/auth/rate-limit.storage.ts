import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Idle callers (no live hit, no block) are forgotten this often, so memory follows the callers. */
const SWEEP_INTERVAL_MS = 60_000;

/** One caller's hits (expiry times, oldest first) and block, for one throttler. */
interface HitLog {
  /** Expiry times of the hits; `expirations[first]` is the oldest still counted. */
  expirations: number[];
  first: number;
  isBlocked: boolean;
  blockExpiresAt: number;
  windowExpiresAt: number;
}

/**
 * @nestjs/throttler's sliding-window log with its blocking rule, but without its cost on
 * every request: the stock storage copies the caller's whole hit list (up to the limit, 120
 * for a device) to drop the expired ones. A throttler's hits all live `ttl`, so they expire in
 * the order they came: here the expired ones are skipped from the front and the list is
 * compacted now and then.
 */
export class SlidingWindowStorage implements ThrottlerStorage {
  private readonly logs = new Map<string, HitLog>();
  private sweeper: NodeJS.Timeout | null = null;

  // The interface is asynchronous for shared stores (Redis...); this one answers at once.
  // eslint-disable-next-line @typescript-eslint/require-await
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
    const logKey = `${throttlerName}\u0000${key}`;
    let log = this.logs.get(logKey);
    if (!log) {
      log = { expirations: [], first: 0, isBlocked: false, blockExpiresAt: 0, windowExpiresAt: now + ttl };
      this.logs.set(logKey, log);
    }
    dropExpired(log, now);
    if (log.windowExpiresAt <= now) log.windowExpiresAt = now + ttl;
    const timeToExpire = Math.ceil((log.windowExpiresAt - now) / 1000);

    // As the stock storage: a blocked caller's requests are not counted, and the block starts
    // with the hit past the limit and lasts `blockDuration`.
    if (!log.isBlocked) log.expirations.push(now + ttl);
    if (hitCount(log) > limit && !log.isBlocked) {
      log.isBlocked = true;
      log.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((log.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && log.isBlocked) {
      // The block is over: the caller starts afresh with this request.
      log.isBlocked = false;
      log.expirations = [now + ttl];
      log.first = 0;
    }
    return { totalHits: hitCount(log), timeToExpire, isBlocked: log.isBlocked, timeToBlockExpire };
  }

  /** Callers tracked now (for tests and diagnostics). */
  get size(): number {
    return this.logs.size;
  }

  /**
   * Forgets callers with no live hit and no block in force. With nobody left, the sweeper
   * stops until the next request: an application that is closed leaves no timer behind.
   */
  sweep(): void {
    const now = Date.now();
    for (const [key, log] of this.logs) {
      dropExpired(log, now);
      if (hitCount(log) === 0 && !(log.isBlocked && log.blockExpiresAt > now)) this.logs.delete(key);
    }
    if (this.logs.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** Whether the sweeper runs (for tests). */
  get sweeping(): boolean {
    return this.sweeper !== null;
  }
}

function hitCount(log: HitLog): number {
  return log.expirations.length - log.first;
}

function dropExpired(log: HitLog, now: number): void {
  const expirations = log.expirations;
  let first = log.first;
  while (first < expirations.length && expirations[first] <= now) first++;
  // Compact once the skipped part is the larger one: each hit is copied at most once.
  if (first > 32 && first * 2 > expirations.length) {
    log.expirations = expirations.slice(first);
    first = 0;
  }
  log.first = first;
}
