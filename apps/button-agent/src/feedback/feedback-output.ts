/**
 * What the button shows the person who pressed (contract §8): each state has a light pattern
 * and, unless the alert's type is silent, a sound.
 *
 * - `spooled`: pressed, not yet stored by the server: slow blink.
 * - `stored`: the server has it: fast blink.
 * - `acknowledged`: someone is coming: steady light, one long beep.
 * - `resolved`: off (the person saw the end of it).
 * - `unreachable`: the server cannot be reached while no alert is pending: a short double blink
 *   every few seconds, so a dead button is visible.
 * - `idle`: nothing to show: off.
 */
export const FEEDBACK_STATES = [
  'idle',
  'spooled',
  'stored',
  'acknowledged',
  'resolved',
  'unreachable',
] as const;
export type FeedbackState = (typeof FEEDBACK_STATES)[number];

export interface ShownState {
  state: FeedbackState;
  /** The alert the state is about; null for `idle` and `unreachable`. */
  alertId: string | null;
  /** False for a silent alarm (VIGIE_SILENT_TYPES) and for states with no alert: no buzzer. */
  sound: boolean;
}

/**
 * Where the state is shown: an LED and a buzzer on GPIO (the `gpiod` and `rpi-gpio` drivers) or
 * the terminal (the `keyboard` driver, for the lab bench). `show` returns at once: patterns run
 * on their own until the next `show` or `stop`; a failing output never holds up an alert.
 */
export interface FeedbackOutput {
  /** Driver name for logs and `doctor`: `gpiod`, `rpi-gpio`, `keyboard`. */
  readonly name: string;
  /** Claims the lines (or the terminal); rejects with a message a technician can act on. */
  start(): Promise<void>;
  show(shown: ShownState): void;
  /** Turns everything off and releases the lines and child processes. */
  stop(): Promise<void>;
}
