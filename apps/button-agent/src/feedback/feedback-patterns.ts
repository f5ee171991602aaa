import { FeedbackState, ShownState } from './feedback-output';
import { Level, OutputLine } from './line-writer';

/** One level held for `ms`. */
export interface PatternStep {
  level: Level;
  ms: number;
}

/**
 * What one line does: the steps in order, then either again from the first (`repeat`) or the
 * last step's level held until the next state (its `ms` is then not used).
 */
export interface LinePattern {
  steps: readonly PatternStep[];
  repeat: boolean;
}

const OFF: LinePattern = { steps: [{ level: 0, ms: 0 }], repeat: false };
const ON: LinePattern = { steps: [{ level: 1, ms: 0 }], repeat: false };
const blink = (onMs: number, offMs: number): LinePattern => ({
  steps: [
    { level: 1, ms: onMs },
    { level: 0, ms: offMs },
  ],
  repeat: true,
});
const beep = (ms: number): LinePattern => ({
  steps: [
    { level: 1, ms },
    { level: 0, ms: 0 },
  ],
  repeat: false,
});

/**
 * Every pattern, in one place. Why these timings:
 * - `spooled` 1 s period, half on: a calm "working on it" that no one takes for the
 *   fast blink; the alert usually leaves this state within a second.
 * - `stored` 250 ms period (4 Hz): clearly faster than `spooled` from across a room, still
 *   slow enough for a gpioset respawned at each change (8 changes a second, see gpiod-output.ts).
 *   With sound, one 150 ms beep: the person hears that the call went through, and a short
 *   chirp is not mistaken for the long "someone is coming" beep.
 * - `acknowledged` steady light (the strongest "help is coming" a single LED can give) and
 *   one 1.5 s beep with sound: long enough to be heard over noise, short enough not to annoy.
 * - `resolved` and `idle` off.
 * - `unreachable` two 100 ms flashes (100 ms apart) every 5 s: a dead button is visible to
 *   anyone passing by, yet it is a glance, not a blink that reads as an alert in progress.
 * The buzzer never sounds without `sound` (silent alarm types, states without an alert).
 */
export const FEEDBACK_PATTERNS: Readonly<Record<FeedbackState, Record<OutputLine, LinePattern>>> = {
  idle: { led: OFF, buzzer: OFF },
  spooled: { led: blink(500, 500), buzzer: OFF },
  stored: { led: blink(125, 125), buzzer: beep(150) },
  acknowledged: { led: ON, buzzer: beep(1500) },
  resolved: { led: OFF, buzzer: OFF },
  unreachable: {
    led: {
      steps: [
        { level: 1, ms: 100 },
        { level: 0, ms: 100 },
        { level: 1, ms: 100 },
        { level: 0, ms: 4700 },
      ],
      repeat: true,
    },
    buzzer: OFF,
  },
};

/** The pattern of each line for a shown state; the buzzer's is off unless `sound`. */
export function patternsFor(shown: ShownState): Record<OutputLine, LinePattern> {
  const pattern = FEEDBACK_PATTERNS[shown.state];
  return { led: pattern.led, buzzer: shown.sound ? pattern.buzzer : OFF };
}

/** One human phrase per line for the terminal, e.g. `fast blink`, `long beep`; null for silence. */
export const PATTERN_WORDS: Readonly<Record<FeedbackState, { light: string; sound: string | null }>> = {
  idle: { light: 'off', sound: null },
  spooled: { light: 'slow blink', sound: null },
  stored: { light: 'fast blink', sound: 'short beep' },
  acknowledged: { light: 'steady on', sound: 'long beep' },
  resolved: { light: 'off', sound: null },
  unreachable: { light: 'double blink every 5 s', sound: null },
};
