import { Timers } from '../buttons/press-detector';
import { ShownState } from './feedback-output';
import { LinePattern, patternsFor } from './feedback-patterns';
import { Level, LineWriter, OUTPUT_LINES, OutputLine } from './line-writer';

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Plays the pattern of a shown state on the two lines, each on its own timer. A new `show`
 * replaces the running pattern at once; `stop` turns both lines off. Only level changes reach
 * the writer (lines are taken to start off), so a gpioset is not respawned for nothing.
 */
export class PatternPlayer {
  private readonly levels: Record<OutputLine, Level> = { led: 0, buzzer: 0 };
  private readonly timers = new Map<OutputLine, unknown>();

  constructor(
    private readonly writer: LineWriter,
    private readonly clock: Timers = realTimers,
  ) {}

  show(shown: ShownState): void {
    const patterns = patternsFor(shown);
    for (const line of OUTPUT_LINES) this.play(line, patterns[line], 0);
  }

  stop(): void {
    for (const line of OUTPUT_LINES) {
      this.cancel(line);
      this.write(line, 0);
    }
  }

  private play(line: OutputLine, pattern: LinePattern, index: number): void {
    this.cancel(line);
    const step = pattern.steps[index];
    this.write(line, step.level);
    const last = index === pattern.steps.length - 1;
    if (last && !pattern.repeat) return;
    const next = last ? 0 : index + 1;
    this.timers.set(
      line,
      this.clock.setTimeout(() => {
        this.timers.delete(line);
        this.play(line, pattern, next);
      }, step.ms),
    );
  }

  private cancel(line: OutputLine): void {
    if (!this.timers.has(line)) return;
    this.clock.clearTimeout(this.timers.get(line));
    this.timers.delete(line);
  }

  private write(line: OutputLine, level: Level): void {
    if (this.levels[line] === level) return;
    this.levels[line] = level;
    this.writer.set(line, level);
  }
}
