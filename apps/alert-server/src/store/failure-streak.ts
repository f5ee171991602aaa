import type { Logger } from '@nestjs/common';

/** The least time between two lines about one run of failures that goes on. */
const REPEAT_AFTER_MS = 30_000;

/**
 * Logs a run of failures of one kind without flooding the log. On a full disk each group commit
 * fails within a millisecond and every agent retries, so a line per failure could be hundreds a
 * second and bury everything else. The first failure is logged at once, at error level; while
 * the run goes on, at most one line per 30 s, with how many failed since the last line; and its
 * end once.
 */
export class FailureStreak {
  /** When the run began (performance.now()), or null while all is well. */
  private since: number | null = null;
  private lastLoggedAt = 0;
  private unlogged = 0;

  constructor(
    private readonly logger: Logger,
    private readonly repeatAfterMs = REPEAT_AFTER_MS,
  ) {}

  get failing(): boolean {
    return this.since !== null;
  }

  failed(fields: { code: string } & Record<string, unknown>, message: string): void {
    const now = performance.now();
    this.unlogged++;
    if (this.since !== null && now - this.lastLoggedAt < this.repeatAfterMs) return;
    this.since ??= now;
    this.logger.error({ ...fields, failures: this.unlogged, failingForS: this.seconds(now) }, message);
    this.lastLoggedAt = now;
    this.unlogged = 0;
  }

  recovered(fields: { code: string } & Record<string, unknown>, message: string): void {
    if (this.since === null) return;
    const now = performance.now();
    this.logger.log({ ...fields, unloggedFailures: this.unlogged, failedForS: this.seconds(now) }, message);
    this.since = null;
    this.unlogged = 0;
  }

  private seconds(now: number): number {
    return Math.round((now - (this.since ?? now)) / 100) / 10;
  }
}
