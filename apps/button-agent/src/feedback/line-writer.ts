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
