import { join } from 'node:path';
import { Timers } from '../buttons/press-detector';
import { DriverProbe } from '../gpio/button-input';
import { GpioUnavailableError } from '../gpio/gpio-unavailable.error';
import { SysfsFiles, nodeSysfsFiles } from '../gpio/sysfs-files';
import {
  DEFAULT_SETUP_RETRY,
  DEFAULT_SYSFS_GPIO_DIR,
  SetupRetry,
  checkSysfsGpio,
  exportSysfsPin,
  explainSysfsError,
} from '../gpio/sysfs-gpio';
import { AgentLogger } from '../logging/agent-logger';
import { FeedbackOutput, ShownState } from './feedback-output';
import { Level, OutputLine, OutputPins, wiredOutputs } from './line-writer';
import { PatternPlayer } from './pattern-player';

export interface RpiGpioOutputOptions {
  gpioDir?: string;
  files?: SysfsFiles;
  setupRetry?: SetupRetry;
  timers?: Timers;
}

interface SysfsOutputLine {
  output: OutputLine;
  pin: number;
  valuePath: string;
  /** Writes to one value file go one after the other, so the last level asked is the last written. */
  writing: Promise<void>;
  /** A failing line is logged once per run of failures, not 8 times a second. */
  failing: boolean;
}

/**
 * The light and the buzzer through the sysfs interface, as the rpi-gpio button driver does:
 * export, direction `out` (which starts the line low), then `value` at each level change.
 * Only for kernels that still number GPIOs from 0 (checkSysfsGpio refuses the others).
 */
export class RpiGpioOutput implements FeedbackOutput {
  readonly name = 'rpi-gpio';
  private readonly gpioDir: string;
  private readonly files: SysfsFiles;
  private lines: SysfsOutputLine[] = [];
  private exported: number[] = [];
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
    try {
      for (const { output, pin } of wired) {
        await exportSysfsPin(
          this.gpioDir,
          pin,
          [['direction', 'out']],
          this.files,
          this.options.setupRetry ?? DEFAULT_SETUP_RETRY,
          () => this.exported.push(pin),
        );
        const valuePath = join(this.gpioDir, `gpio${pin}`, 'value');
        this.lines.push({ output, pin, valuePath, writing: Promise.resolve(), failing: false });
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
    for (const pin of this.exported) {
      await this.files.write(join(this.gpioDir, 'unexport'), String(pin)).catch(() => undefined);
    }
    this.exported = [];
  }

  private write(output: OutputLine, level: Level): void {
    const line = this.lines.find((candidate) => candidate.output === output);
    if (!line) return;
    line.writing = line.writing.then(async () => {
      try {
        await this.files.write(line.valuePath, String(level));
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

/** For `auto` and `doctor`: sysfs present, writable, numbered from 0, the pins on the header chip. */
export function rpiGpioOutputProbe(
  pins: OutputPins,
  options: Pick<RpiGpioOutputOptions, 'gpioDir' | 'files'> = {},
): DriverProbe {
  const gpioDir = options.gpioDir ?? DEFAULT_SYSFS_GPIO_DIR;
  return {
    name: 'rpi-gpio',
    async available() {
      try {
        const wired = wiredOutputs(pins).map(({ pin }) => pin);
        const chip = await checkSysfsGpio(gpioDir, wired, options.files ?? nodeSysfsFiles);
        return { ok: true, detail: `sysfs ${gpioDir}, ${chip.name} (${chip.label}) base 0` };
      } catch (error) {
        if (error instanceof GpioUnavailableError)
          return { ok: false, reason: error.message, code: error.code };
        throw error;
      }
    },
  };
}
