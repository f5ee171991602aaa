/** Failures older than this are forgotten. */
const WINDOW_MS = 15 * 60_000;
/** A typo or two costs nothing; then each failure waits longer, up to the cap. */
const FREE_FAILURES = 3;
const STEP_MS = 150;
const MAX_DELAY_MS = 2_000;
/** Bounds the memory a flood of distinct addresses can take. */
const MAX_ADDRESSES = 10_000;

/**
 * Failed sign-ins per address, to slow guessing down before the rate limit refuses it
 * outright. In memory: a restart forgets them, which only gives a guesser a fresh window.
 */
export class LoginFailures {
  private readonly failures = new Map<string, { count: number; firstAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a failure; returns how many this address has in the window, this one included. */
  record(address: string): number {
    const now = this.now();
    const entry = this.current(address, now);
    if (entry) {
      entry.count++;
      return entry.count;
    }
    if (this.failures.size >= MAX_ADDRESSES) this.sweep(now);
    if (this.failures.size >= MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(address, { count: 1, firstAt: now });
    return 1;
  }

  /** How long to hold the answer to this address's next wrong password. */
  delayMs(address: string): number {
    const count = this.current(address, this.now())?.count ?? 0;
    return Math.min(MAX_DELAY_MS, Math.max(0, count - FREE_FAILURES + 1) * STEP_MS);
  }

  clear(address: string): void {
    this.failures.delete(address);
  }

  private current(address: string, now: number) {
    const entry = this.failures.get(address);
    if (entry && now - entry.firstAt > WINDOW_MS) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }

  private sweep(now: number): void {
    for (const [address, entry] of this.failures) {
      if (now - entry.firstAt > WINDOW_MS) this.failures.delete(address);
    }
  }
}
