/** An agent with a bad token retries with backoff: a handful a minute at most. */
const WINDOW_MS = 60_000;
const MAX_REFUSALS_PER_WINDOW = 60;
/** Bounds the memory a flood from many addresses can take. */
const MAX_ADDRESSES = 10_000;

/**
 * Device requests refused for their token, per address. Past the limit, the address gets
 * 429 before its token is even looked up: a flood of bad tokens costs neither store reads
 * nor an audit line per request.
 */
export class RefusedAddresses {
  private readonly windows = new Map<string, { count: number; startedAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  record(address: string): void {
    const now = this.now();
    const window = this.current(address, now);
    if (window) {
      window.count++;
      return;
    }
    if (this.windows.size >= MAX_ADDRESSES) this.sweep(now);
    if (this.windows.size >= MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(address, { count: 1, startedAt: now });
  }

  /** Seconds until this address may try again; 0 when it is not blocked. */
  blockedForSeconds(address: string): number {
    const now = this.now();
    const window = this.current(address, now);
    if (!window || window.count < MAX_REFUSALS_PER_WINDOW) return 0;
    return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
  }

  private current(address: string, now: number) {
    const window = this.windows.get(address);
    if (window && now - window.startedAt >= WINDOW_MS) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private sweep(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.startedAt >= WINDOW_MS) this.windows.delete(address);
    }
  }
}
