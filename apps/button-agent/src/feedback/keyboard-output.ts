import { FeedbackOutput, ShownState } from './feedback-output';
import { PATTERN_WORDS } from './feedback-patterns';

/** Where the lines go; `isTTY` says whether a person is looking. */
export type TerminalStream = Pick<NodeJS.WritableStream, 'write'> & { isTTY?: boolean };

/**
 * The lab bench's light and buzzer: one human line per state, e.g.
 * `[light] stored: fast blink (alert 0190abcd…)` and `[buzzer] short beep`.
 *
 * On stderr, and only when stderr is a terminal: stdout carries the agent's JSON log lines,
 * which tools and tests parse line by line, so a plain line there would break them; and where
 * no one looks (systemd, a pipe, a test harness) the `feedback.state` log line the agent writes
 * already says the same, so nothing more is printed.
 */
export class KeyboardOutput implements FeedbackOutput {
  readonly name = 'keyboard';

  constructor(private readonly terminal: TerminalStream = process.stderr) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  show(shown: ShownState): void {
    if (!this.terminal.isTTY) return;
    for (const line of describeShownState(shown)) this.terminal.write(`${line}\n`);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** The lines a person reads for a state: the light, then the buzzer when it sounds. */
export function describeShownState(shown: ShownState): string[] {
  const words = PATTERN_WORDS[shown.state];
  const alert = shown.alertId ? ` (alert ${shortId(shown.alertId)})` : '';
  const lines = [`[light] ${shown.state}: ${words.light}${alert}`];
  if (shown.sound && words.sound) lines.push(`[buzzer] ${words.sound}`);
  return lines;
}

/** Enough of the id to find the alert on the server's screen. */
function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}
