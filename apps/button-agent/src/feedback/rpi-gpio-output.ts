import { Timers } from '../buttons/press-detector';
import { DriverProbe } from '../gpio/button-input';
import { GpioUnavailableError } from '../gpio/gpio-unavailable.error';
import {
  RpiGpio,
  RpiGpioLoader,
  destroyPins,
  loadRpiGpio,
  setupChannel,
  writeChannel,
} from '../gpio/rpi-gpio-module';
import { probeRpiGpio } from '../gpio/rpi-gpio.driver';
import { SysfsFiles, nodeSysfsFiles } from '../gpio/sysfs-files';
import { DEFAULT_SYSFS_GPIO_DIR, checkSysfsGpio, explainSysfsError } from '../gpio/sysfs-gpio';
import { AgentLogger } from '../logging/agent-logger';
import { FeedbackOutput, ShownState } from './feedback-output';
import { Level, OutputLine, OutputPins, wiredOutputs } from './line-writer';
import { PatternPlayer } from './pattern-player';

export interface RpiGpioOutputOptions {
  /** Where the numbering is checked; the package itself always works in /sys/class/gpio. */
  gpioDir?: string;
  files?: SysfsFiles;
  loadModule?: RpiGpioLoader;
  timers?: Timers;
}

interface SysfsOutputLine {
  output: OutputLine;
  pin: number;
  /** Writes to one line go one after the other, so the last level asked is the last written. */
  writing: Promise<void>;
  /** A failing line is logged once per run of failures, not 8 times a second. */
  failing: boolean;
}

/**
 * The light and the buzzer through the `rpi-gpio` package, as the rpi-gpio button driver: each
 * pin set up as an output that starts low (direction `low`), then `value` at each level change.
 * Only for kernels that still number GPIOs from 0 (checkSysfsGpio refuses the others).
 */
export class RpiGpioOutput implements FeedbackOutput {
  readonly name = 'rpi-gpio';
  private readonly gpioDir: string;
  private readonly files: SysfsFiles;
  private gpio: RpiGpio | null = null;
  private lines: SysfsOutputLine[] = [];
  private player: PatternPlayer | null = null;

  constructor(
    private readonly pins: OutputPins,
    private readonly logger: AgentLogger,
    private readonly options: RpiGpioOutputOptions = {},
  ) {
    this.gpioDir = options.gpioDir ?? DEFAULT_SYSFS_GPIO_DIR;
    this.files = options.files ?? nodeSysfsFiles;
  }

  async start(): Promise<void> {
    const wired = wiredOutputs(this.pins);
    await checkSysfsGpio(
      this.gpioDir,
      wired.map(({ pin }) => pin),
      this.files,
    );
    const gpio = (this.options.loadModule ?? loadRpiGpio)();
    this.gpio = gpio;
    gpio.setMode(gpio.MODE_BCM);
    try {
      for (const { output, pin } of wired) {
        await setupChannel(gpio, pin, gpio.DIR_LOW, gpio.EDGE_NONE).catch((error: unknown) => {
          throw new GpioUnavailableError(
            `cannot set up GPIO${pin} in ${this.gpioDir}: ${explainSysfsError(error)}`,
          );
        });
        this.lines.push({ output, pin, writing: Promise.resolve(), failing: false });
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.player = new PatternPlayer(
      { set: (output, level) => this.write(output, level) },
      this.options.timers,
    );
    this.logger.info(
      { driver: this.name, outputs: wired, gpioDir: this.gpioDir },
      'rpi-gpio: status light and buzzer driven through sysfs',
    );
  }

  show(shown: ShownState): void {
    this.player?.show(shown);
  }

  /** Off, then released: an unexported line stays where it was left, low. */
  async stop(): Promise<void> {
    this.player?.stop();
    this.player = null;
    await Promise.all(this.lines.map((line) => line.writing));
    this.lines = [];
    const gpio = this.gpio;
    this.gpio = null;
    if (gpio) await destroyPins(gpio);
  }

  private write(output: OutputLine, level: Level): void {
    const gpio = this.gpio;
    const line = this.lines.find((candidate) => candidate.output === output);
    if (!gpio || !line) return;
    line.writing = line.writing.then(async () => {
      try {
        await writeChannel(gpio, line.pin, level === 1);
        line.failing = false;
      } catch (error) {
        if (line.failing) return;
        line.failing = true;
        this.logger.error(
          { code: 'GPIO_SYSFS_WRITE_FAILED', output, pin: line.pin, why: explainSysfsError(error) },
          `cannot set the ${output} on GPIO${line.pin} through sysfs`,
        );
      }
    });
  }
}

/** For `auto` and `doctor`: sysfs present, writable, numbered from 0, the pins on the header chip, the package loadable. */
export function rpiGpioOutputProbe(
  pins: OutputPins,
  options: Pick<RpiGpioOutputOptions, 'gpioDir' | 'files' | 'loadModule'> = {},
): DriverProbe {
  return {
    name: 'rpi-gpio',
    available: () =>
      probeRpiGpio(
        wiredOutputs(pins).map(({ pin }) => pin),
        options,
      ),
  };
}
