/** Where a press leaves its button's series: it makes the alert, or it is one more toward it. */
export type SeriesStep = { complete: true } | { complete: false; count: number; needed: number };

/**
 * One button's presses toward the pattern that makes an alert: `needed` presses within
 * `windowMs` of the first one. Against accidental presses (a bag, a shoulder against the
 * button): one touch is easy to make by mistake, three in a second and a half are not.
 * The press that completes the series alerts at once (nothing waits for the window to close);
 * the series restarts after an alert, and a press past the window starts a new one. Times
 * are the presses' own (monotonic ms), so no timer is needed.
 */
export class PressSeries {
  private count = 0;
  private firstAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly needed: number,
    private readonly windowMs: number,
  ) {}

  add(at: number): SeriesStep {
    if (this.count === 0 || at - this.firstAt > this.windowMs) {
      this.count = 0;
      this.firstAt = at;
    }
    this.count += 1;
    if (this.count < this.needed) return { complete: false, count: this.count, needed: this.needed };
    this.count = 0;
    return { complete: true };
  }
}
