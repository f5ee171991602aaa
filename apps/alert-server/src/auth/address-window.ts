/** Bounds the memory a flood from many distinct addresses can take. */
const MAX_ADDRESSES = 10_000;

/**
 * Counts events per client address over a fixed window that starts at the address's first
 * event. In memory: a restart forgets the counts, which only gives an attacker a fresh window.
 */
export class AddressWindow {
  private readonly windows = new Map<string, { count: number; startedAt: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event; returns this address's count in its window, this one included. */
  record(address: string): number {
    const now = this.now();
    const window = this.current(address, now);
    if (window) return ++window.count;
    if (this.windows.size >= MAX_ADDRESSES) this.sweep(now);
    if (this.windows.size >= MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(address, { count: 1, startedAt: now });
    return 1;
  }

  count(address: string): number {
    return this.current(address, this.now())?.count ?? 0;
  }

  /** Milliseconds until this address's window ends (0 when it has none). */
  remainingMs(address: string): number {
    const now = this.now();
    const window = this.current(address, now);
    return window ? window.startedAt + this.windowMs - now : 0;
  }

  forget(address: string): void {
    this.windows.delete(address);
  }

  get size(): number {
    return this.windows.size;
  }

  private current(address: string, now: number) {
    const window = this.windows.get(address);
    if (window && now - window.startedAt >= this.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private sweep(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.startedAt >= this.windowMs) this.windows.delete(address);
    }
  }
}
