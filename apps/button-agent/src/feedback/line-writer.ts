/** The two outputs a button can have: the status light and the buzzer. */
export const OUTPUT_LINES = ['led', 'buzzer'] as const;
export type OutputLine = (typeof OUTPUT_LINES)[number];
export type Level = 0 | 1;

/**
 * What a driver does for the pattern player: put one line at one level. The player owns the
 * timing, so drivers only set levels (and a line that is not wired is simply ignored).
 */
export interface LineWriter {
  set(line: OutputLine, level: Level): void;
}

/** The BCM pin of each output (VIGIE_LED_PIN, VIGIE_BUZZER_PIN); null when not wired. */
export type OutputPins = Record<OutputLine, number | null>;

/** The wired outputs, led first. */
export function wiredOutputs(pins: OutputPins): Array<{ output: OutputLine; pin: number }> {
  return OUTPUT_LINES.flatMap((output) => (pins[output] === null ? [] : [{ output, pin: pins[output] }]));
}
