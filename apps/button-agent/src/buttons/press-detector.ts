import { ButtonConfig } from '../config/agent-config';
import { ButtonEdge } from '../gpio/button-input';

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface PinState {
  button: ButtonConfig;
  /** Debounced state: what the button is taken to be doing. */
  pressed: boolean;
  /** Last raw level seen, applied when the bounce window closes. */
  rawPressed: boolean;
  lastChangeAt: number;
  settleTimer: unknown;
  holdTimer: unknown;
}

/**
 * Turns raw edges into presses. Active-low: `down` is the contact closing. The alert fires
 * on the first edge (a bounce cannot delay it); edges in the `debounceMs` after a change are
 * bounce, and the level they leave is applied when the window closes, so a very short press
 * never leaves the button stuck. With `holdMs`, a press counts only once held that long.
 * A button held down fires once.
 */
export class PressDetector {
  private readonly pins = new Map<number, PinState>();

  constructor(
    buttons: readonly ButtonConfig[],
    private readonly options: { debounceMs: number; holdMs: number },
    private readonly onPress: (button: ButtonConfig) => void,
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
      });
    }
  }

  handle(edge: ButtonEdge): void {
    const state = this.pins.get(edge.pin);
    if (!state) return;
    if (edge.kind === 'press') {
      this.onPress(state.button);
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
      this.onPress(state.button);
      return;
    }
    state.holdTimer = this.timers.setTimeout(() => {
      state.holdTimer = null;
      if (state.pressed) this.onPress(state.button);
    }, this.options.holdMs);
  }
}
