import { Timers } from '../buttons/press-detector';
import { DriverProbe } from '../gpio/button-input';
import { GpioUnavailableError } from '../gpio/gpio-unavailable.error';
import { LineLookupCommands, findGpioLines, readLibgpiodVersion } from '../gpio/gpiod-setup';
import { GpioLine, LibgpiodVersion } from '../gpio/gpiomon-command';
import { DEFAULT_RESTART_POLICY, RestartPolicy } from '../gpio/gpiomon-process';
import { AgentLogger } from '../logging/agent-logger';
import { FeedbackOutput, ShownState } from './feedback-output';
import { planGpioset } from './gpioset-command';
import { GpiosetLine } from './gpioset-line';
import { OutputLine, OutputPins, wiredOutputs } from './line-writer';
import { PatternPlayer } from './pattern-player';

/** Where gpioset and the line lookup tools are; tests point these at fakes. */
export type GpiosetCommands = LineLookupCommands & { gpioset: string };

export const DEFAULT_GPIOSET_COMMANDS: GpiosetCommands = {
  gpioset: 'gpioset',
  gpiofind: 'gpiofind',
  gpioinfo: 'gpioinfo',
};

export interface GpiodOutputOptions {
  commands?: GpiosetCommands;
  restart?: RestartPolicy;
  readyAfterMs?: number;
  /** The pattern player's timers (real ones by default). */
  timers?: Timers;
}

const PINS_SETTING = 'VIGIE_LED_PIN / VIGIE_BUZZER_PIN';

interface GpiosetSetup {
  version: LibgpiodVersion;
  lines: Array<{ output: OutputLine; line: GpioLine }>;
}

/** gpioset's version and each wired output's line, found by name as the button driver does. */
async function findGpiosetSetup(pins: OutputPins, commands: GpiosetCommands): Promise<GpiosetSetup> {
  const version = await readLibgpiodVersion(commands.gpioset, 'gpioset');
  const wired = wiredOutputs(pins);
  const lines = await findGpioLines(
    version,
    wired.map(({ pin }) => pin),
    commands,
    PINS_SETTING,
  );
  return { version, lines: wired.map(({ output }, index) => ({ output, line: lines[index] })) };
}

function describe(setup: GpiosetSetup): string {
  const lines = setup.lines.map(
    ({ output, line }) => `${output} ${line.name} on ${line.chip} line ${line.offset}`,
  );
  return `gpioset v${setup.version.text}, ${lines.join(', ')}`;
}

/**
 * The light and the buzzer through libgpiod's gpioset (Debian package `gpiod`), one gpioset
 * per wired line. Patterns are timed by the PatternPlayer; this driver only sets levels.
 */
export class GpiodOutput implements FeedbackOutput {
  readonly name = 'gpiod';
  private lines = new Map<OutputLine, GpiosetLine>();
  private player: PatternPlayer | null = null;
  /** No gpioset must outlive the agent, even on a process.exit() that skips stop(). */
  private readonly killOnExit = () => this.lines.forEach((line) => line.killNow());

  constructor(
    private readonly pins: OutputPins,
    private readonly logger: AgentLogger,
    private readonly options: GpiodOutputOptions = {},
  ) {}

  async start(): Promise<void> {
    const commands = this.options.commands ?? DEFAULT_GPIOSET_COMMANDS;
    const setup = await findGpiosetSetup(this.pins, commands);
    this.logger.info({ driver: this.name, detail: describe(setup) }, 'gpiod: output lines found');
    process.once('exit', this.killOnExit);
    for (const { output, line } of setup.lines) {
      this.lines.set(
        output,
        new GpiosetLine({
          command: commands.gpioset,
          output,
          lineName: line.name,
          runFor: (level) => planGpioset(setup.version, line, output, level),
          logger: this.logger,
          restart: this.options.restart ?? DEFAULT_RESTART_POLICY,
          readyAfterMs: this.options.readyAfterMs ?? 200,
        }),
      );
    }
    try {
      await Promise.all([...this.lines.values()].map((line) => line.start()));
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.player = new PatternPlayer(
      { set: (output, level) => this.lines.get(output)?.set(level) },
      this.options.timers,
    );
  }

  show(shown: ShownState): void {
    this.player?.show(shown);
  }

  async stop(): Promise<void> {
    this.player?.stop();
    this.player = null;
    await Promise.all([...this.lines.values()].map((line) => line.stop()));
    this.lines.clear();
    process.removeListener('exit', this.killOnExit);
  }

  /** The pids of the gpiosets now running, for tests. */
  get pids(): number[] {
    return [...this.lines.values()].flatMap((line) => line.pid ?? []);
  }
}

/** For `auto` and `doctor`: gpioset present, a version we know, each wired pin's line found. */
export function gpiodOutputProbe(
  pins: OutputPins,
  commands: GpiosetCommands = DEFAULT_GPIOSET_COMMANDS,
): DriverProbe {
  return {
    name: 'gpiod',
    async available() {
      try {
        return { ok: true, detail: describe(await findGpiosetSetup(pins, commands)) };
      } catch (error) {
        if (error instanceof GpioUnavailableError)
          return { ok: false, reason: error.message, code: error.code };
        throw error;
      }
    },
  };
}
