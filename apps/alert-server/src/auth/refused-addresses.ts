import { AddressWindow } from './address-window';

/** An agent with a bad token retries with backoff: a handful a minute at most. */
const WINDOW_MS = 60_000;
const MAX_REFUSALS_PER_WINDOW = 60;

/**
 * Device requests refused for their token, per address. Past the limit, the address gets
 * 429 before its token is even looked up: a flood of bad tokens costs neither store reads
 * nor an audit line per request.
 */
export class RefusedAddresses {
  private readonly refusals: AddressWindow;
  /** When the last block in force ends: until then some address may be blocked. */
  private blocksEndAt = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.refusals = new AddressWindow(WINDOW_MS, now);
  }

  record(address: string): void {
    if (this.refusals.record(address) >= MAX_REFUSALS_PER_WINDOW) {
      this.blocksEndAt = Math.max(this.blocksEndAt, this.now() + this.refusals.remainingMs(address));
    }
  }

  /**
   * False when no address is blocked, as nearly always: the guard then need not work out the
   * caller's address (proxy-aware parsing, a few µs per request) before checking its token.
   */
  anyBlocked(): boolean {
    return this.now() < this.blocksEndAt;
  }

  /** Seconds until this address may try again; 0 when it is not blocked. */
  blockedForSeconds(address: string): number {
    if (this.refusals.count(address) < MAX_REFUSALS_PER_WINDOW) return 0;
    return Math.max(1, Math.ceil(this.refusals.remainingMs(address) / 1000));
  }
}
