/**
 * Runs a reload after changes, at most once every `minIntervalMs`: the first change after a
 * quiet period runs it `settleMs` later (so alerts arriving together cost one reload), the
 * changes during the interval share one trailing reload at its end. Reloads never overlap: a
 * change during one asks for another after it, since the one in flight may have read too early.
 */
export class RefreshSchedule {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private lastStart = -Infinity;

  constructor(
    private readonly reload: () => Promise<void>,
    private readonly minIntervalMs: number,
    private readonly settleMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Something the reload shows has changed: reload soon. */
  changed(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    const wait = Math.max(this.settleMs, this.lastStart + this.minIntervalMs - this.clock());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  /** Reload now (first load, after a reconnection, the periodic fallback); one reload in flight at most. */
  reloadNow(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    this.lastStart = this.clock();
    try {
      await this.reload();
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.changed();
      }
    }
  }
}
