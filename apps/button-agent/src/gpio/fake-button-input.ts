import { ButtonEdge, ButtonInput, MonotonicMs } from './button-input';

/**
 * A ButtonInput for tests of what sits above the drivers: the test presses the buttons.
 * Edges for pins that were not started, or while stopped, are refused loudly: a test that
 * does that has a mistake in it.
 */
export class FakeButtonInput implements ButtonInput {
  readonly name = 'fake';
  startCount = 0;
  stopCount = 0;
  private pins: readonly number[] = [];
  private onEdge: ((edge: ButtonEdge) => void) | null = null;

  /** @param startError what `start()` rejects with, to test a driver that cannot work. */
  constructor(private readonly startError: Error | null = null) {}

  get started(): boolean {
    return this.onEdge !== null;
  }

  get watchedPins(): readonly number[] {
    return this.pins;
  }

  start(pins: readonly number[], onEdge: (edge: ButtonEdge) => void): Promise<void> {
    this.startCount++;
    if (this.startError) return Promise.reject(this.startError);
    this.pins = [...pins];
    this.onEdge = onEdge;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopCount++;
    this.onEdge = null;
    return Promise.resolve();
  }

  emit(edge: ButtonEdge): void {
    if (!this.onEdge) throw new Error('FakeButtonInput: emit() while not started');
    if (!this.pins.includes(edge.pin)) throw new Error(`FakeButtonInput: pin ${edge.pin} is not watched`);
    this.onEdge(edge);
  }

  down(pin: number, at: MonotonicMs): void {
    this.emit({ pin, kind: 'down', at });
  }

  up(pin: number, at: MonotonicMs): void {
    this.emit({ pin, kind: 'up', at });
  }

  /** A whole press (down then up `heldMs` later), as a real button gives it. */
  tap(pin: number, at: MonotonicMs, heldMs = 100): void {
    this.down(pin, at);
    this.up(pin, at + heldMs);
  }

  press(pin: number, at: MonotonicMs): void {
    this.emit({ pin, kind: 'press', at });
  }
}
