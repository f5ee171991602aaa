import { Interface, createInterface } from 'node:readline';
import { ButtonConfig } from '../config/agent-config';
import { AgentLogger } from '../logging/agent-logger';
import { ButtonEdge, ButtonInput, DriverProbe } from './button-input';

/** What the keyboard driver reads; `isTTY` says whether a person is typing. */
export type KeyboardInputStream = NodeJS.ReadableStream & { isTTY?: boolean };

/**
 * The lab's simulated button: each line read presses a button. An empty line
 * presses the first configured button; a line holding a configured PIN, LABEL or TYPE (in that
 * order of precedence, trimmed, label and type without regard to case) presses that button.
 * Anything else presses nothing and is logged with the words that would work: a typo must not
 * raise an alert of the wrong kind. The end of input only ends the simulation; the agent keeps
 * delivering the spool.
 */
export class KeyboardDriver implements ButtonInput {
  readonly name = 'keyboard';
  private reader: Interface | null = null;

  constructor(
    private readonly buttons: readonly ButtonConfig[],
    private readonly logger: AgentLogger,
    private readonly input: KeyboardInputStream = process.stdin,
  ) {}

  start(pins: readonly number[], onEdge: (edge: ButtonEdge) => void): Promise<void> {
    const buttons = this.buttons.filter((button) => pins.includes(button.pin));
    const reader = createInterface({ input: this.input, crlfDelay: Infinity, terminal: false });
    this.reader = reader;
    reader.on('line', (line) => {
      const button = buttonNamedBy(line, buttons);
      if (button) {
        onEdge({ pin: button.pin, kind: 'press', at: performance.now() });
      } else {
        this.logger.warn(
          { code: 'KEYBOARD_UNKNOWN_BUTTON', input: line.trim().slice(0, 80), valid: validWords(buttons) },
          `keyboard: no button called ${JSON.stringify(line.trim().slice(0, 80))}; nothing pressed`,
        );
      }
    });
    reader.on('close', () => {
      if (this.reader !== reader) return;
      this.reader = null;
      this.logger.info(
        { driver: this.name },
        'keyboard: end of input; no more presses, the agent keeps running',
      );
    });
    const first = buttons[0];
    this.logger.info(
      { driver: this.name, valid: validWords(buttons) },
      first
        ? `keyboard: an empty line presses GPIO${first.pin} (${first.type}); a pin, type or label presses that button`
        : 'keyboard: no button to press',
    );
    return Promise.resolve();
  }

  stop(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    reader?.close();
    return Promise.resolve();
  }
}

export function buttonNamedBy(line: string, buttons: readonly ButtonConfig[]): ButtonConfig | null {
  const word = line.trim();
  if (word === '') return buttons[0] ?? null;
  const lower = word.toLowerCase();
  return (
    buttons.find((button) => String(button.pin) === word) ??
    buttons.find((button) => button.label?.toLowerCase() === lower) ??
    buttons.find((button) => button.type === lower) ??
    null
  );
}

function validWords(buttons: readonly ButtonConfig[]): string[] {
  const words = buttons.flatMap((button) => [
    String(button.pin),
    button.type,
    ...(button.label ? [button.label] : []),
  ]);
  return ['(empty line)', ...new Set(words)];
}

/** `auto` uses the keyboard only when a person is at a terminal; `VIGIE_GPIO_DRIVER=keyboard` reads any stdin. */
export function keyboardProbe(input: KeyboardInputStream = process.stdin): DriverProbe {
  return {
    name: 'keyboard',
    available: () =>
      Promise.resolve(
        input.isTTY
          ? { ok: true as const, detail: 'keyboard: stdin is a terminal (simulated buttons)' }
          : {
              ok: false as const,
              reason: 'stdin is not a terminal (set VIGIE_GPIO_DRIVER=keyboard to read presses from a pipe)',
            },
      ),
  };
}
