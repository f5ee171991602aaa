import { AddressWindow } from './address-window';

/** An agent with a bad token retries with backoff: a handful a minute at most. */
const WINDOW_MS = 60_000;
const MAX_REFUSALS_PER_WINDOW = 60;

/**
 * Device requests refused for their token, per address. Past the limit, the address's bad
 * tokens get 429 instead of 401: a flood of them costs no audit line per request. A valid
 * token from that address still passes (the guard checks it first), so an address shared
 * with an attacker never delays a real alert.
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
   * refused caller's address (proxy-aware parsing, a few µs) to know it is not blocked.
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
