import { AddressWindow } from './address-window';

/** Failures older than this are forgotten. */
const WINDOW_MS = 15 * 60_000;
/** A typo or two costs nothing; then each failure waits longer, up to the cap. */
const FREE_FAILURES = 3;
const STEP_MS = 150;
const MAX_DELAY_MS = 2_000;

/** Failed sign-ins per address, to slow guessing down before the rate limit refuses it outright. */
export class LoginFailures {
  private readonly failures: AddressWindow;

  constructor(now: () => number = Date.now) {
    this.failures = new AddressWindow(WINDOW_MS, now);
  }

  /** Records a failure; returns how many this address has in the window, this one included. */
  record(address: string): number {
    return this.failures.record(address);
  }

  /** How long to hold the answer to this address's next wrong password. */
  delayMs(address: string): number {
    const count = this.failures.count(address);
    return Math.min(MAX_DELAY_MS, Math.max(0, count - FREE_FAILURES + 1) * STEP_MS);
  }

  clear(address: string): void {
    this.failures.forget(address);
  }
}
