import { GpioLine, LibgpiodVersion } from '../gpio/gpiomon-command';
import { Level, OutputLine } from './line-writer';

/** How one gpioset holds one line at one level until it is told to let go. */
export interface GpiosetRun {
  args: string[];
  /**
   * v1 `--mode=wait` returns at ENTER or at the end of stdin: closing our end of the pipe lets
   * it go, and so does the agent's death (even SIGKILL), so no gpioset outlives the agent.
   * v2 (no interactive mode in Debian's build) holds until SIGTERM; `stop()` and the agent's
   * exit kill it, and systemd's control-group kill covers a crash.
   */
  releasedByClosingStdin: boolean;
}

/**
 * The gpioset command for one line at one level. Neither version can change a held value
 * from outside: v1's modes only hold until a signal or ENTER, and v2's `--interactive`
 * (`set LINE=1` on stdin) is a build option Debian leaves out (see fixtures/gpioset-help-v2.txt).
 * So each level change replaces the process: at most 8 changes a second (the fast blink),
 * a cost a Pi does not notice, and the timing stays in one place, the pattern player.
 * No bias: the line is an output, driven push-pull (gpioset's default on both versions).
 */
export function planGpioset(
  version: LibgpiodVersion,
  line: GpioLine,
  output: OutputLine,
  level: Level,
): GpiosetRun {
  if (version.major >= 2) {
    return {
      // The consumer name makes `gpioinfo` say who holds the line.
      args: [`--consumer=vigie-${output}`, '--by-name', `${line.name}=${level}`],
      releasedByClosingStdin: false,
    };
  }
  return {
    args: ['--mode=wait', line.chip, `${line.offset}=${level}`],
    releasedByClosingStdin: true,
  };
}
