import { ButtonConfig } from '../config/agent-config';
import { ButtonEdge } from '../gpio/button-input';
import { PressSeries } from './press-series';

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PressOptions {
  debounceMs: number;
  holdMs: number;
  /** Presses within `pressWindowMs` of the first that make one alert (VIGIE_PRESSES; 1: each press). */
  presses: number;
  pressWindowMs: number;
}

export interface PressListener {
  /** A press that makes an alert. */
  pressed(button: ButtonConfig): void;
  /** A press counted toward `presses` that made no alert (yet): the log says why nothing was sent. */
  counted(button: ButtonConfig, count: number, needed: number): void;
}

interface PinState {
  button: ButtonConfig;
  /** Debounced state: what the button is taken to be doing. */
  pressed: boolean;
  /** Last raw level seen, applied when the bounce window closes. */
  rawPressed: boolean;
  lastChangeAt: number;
  settleTimer: unknown;
  holdTimer: unknown;
  series: PressSeries;
}

/**
 * Turns raw edges into presses. Active-low: `down` is the contact closing. The alert fires
 * on the first edge (a bounce cannot delay it); edges in the `debounceMs` after a change are
 * bounce, and the level they leave is applied when the window closes, so a very short press
 * never leaves the button stuck. With `holdMs`, a press counts only once held that long.
 * A button held down fires once. With `presses` above 1, each button counts its presses and
 * the one completing the pattern alerts (`press-series.ts`).
 */
export class PressDetector {
  private readonly pins = new Map<number, PinState>();

  constructor(
    buttons: readonly ButtonConfig[],
    private readonly options: PressOptions,
    private readonly listener: PressListener,
    private readonly timers: Timers = realTimers,
  ) {
    for (const button of buttons) {
      this.pins.set(button.pin, {
        button,
        pressed: false,
        rawPressed: false,
        lastChangeAt: Number.NEGATIVE_INFINITY,
        settleTimer: null,
        holdTimer: null,
        series: new PressSeries(options.presses, options.pressWindowMs),
      });
    }
  }

  handle(edge: ButtonEdge): void {
    const state = this.pins.get(edge.pin);
    if (!state) return;
    if (edge.kind === 'press') {
      this.press(state, edge.at);
      return;
    }
    state.rawPressed = edge.kind === 'down';
    const sinceChange = edge.at - state.lastChangeAt;
    if (sinceChange >= this.options.debounceMs) {
      this.apply(state, edge.at);
    } else if (state.settleTimer === null) {
      state.settleTimer = this.timers.setTimeout(() => {
        state.settleTimer = null;
        this.apply(state, state.lastChangeAt + this.options.debounceMs);
      }, this.options.debounceMs - sinceChange);
    }
  }

  stop(): void {
    for (const state of this.pins.values()) {
      if (state.settleTimer !== null) this.timers.clearTimeout(state.settleTimer);
      if (state.holdTimer !== null) this.timers.clearTimeout(state.holdTimer);
      state.settleTimer = state.holdTimer = null;
    }
  }

  private apply(state: PinState, at: number): void {
    if (state.rawPressed === state.pressed) return;
    state.pressed = state.rawPressed;
    state.lastChangeAt = at;
    if (!state.pressed) {
      if (state.holdTimer !== null) this.timers.clearTimeout(state.holdTimer);
      state.holdTimer = null;
      return;
    }
    if (this.options.holdMs === 0) {
      this.press(state, at);
      return;
    }
    state.holdTimer = this.timers.setTimeout(() => {
      state.holdTimer = null;
      if (state.pressed) this.press(state, at + this.options.holdMs);
    }, this.options.holdMs);
  }

  /** A whole press at `at` (the time it counted: closing, or the end of the hold). */
  private press(state: PinState, at: number): void {
    const step = state.series.add(at);
    if (step.complete) this.listener.pressed(state.button);
    else this.listener.counted(state.button, step.count, step.needed);
  }
}
