/**
 * What a GPIO driver reports. `down` and `up` are raw edges of an active-low button wired
 * to ground with the pull-up on (down = pressed = line low); the press logic in `buttons/`
 * filters bounce and applies the hold time. `press` is a whole press with no edges, from a
 * simulated button (the keyboard driver): it counts at once.
 */
export type ButtonEdge =
  { pin: number; kind: 'down' | 'up'; at: number } | { pin: number; kind: 'press'; at: number };

/** Milliseconds on a monotonic clock (`performance.now()`-like); only differences matter. */
export type MonotonicMs = number;

export interface ButtonInput {
  /** Driver name for logs and `doctor`: `gpiod`, `rpi-gpio`, `keyboard`. */
  readonly name: string;
  /**
   * Starts watching the given BCM pins; resolves once watching (or rejects with a message a
   * technician can act on). Events arrive through `onEdge` until `stop()`.
   */
  start(pins: readonly number[], onEdge: (edge: ButtonEdge) => void): Promise<void>;
  /** Stops watching and releases the lines and child processes. */
  stop(): Promise<void>;
}

/**
 * Says whether a driver can work on this system, and why not (for `auto` and `doctor`);
 * `code`, when given, is the error-code table's key for the reason.
 */
export interface DriverProbe {
  name: string;
  available(): Promise<{ ok: true; detail: string } | { ok: false; reason: string; code?: string }>;
}
