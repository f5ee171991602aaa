import { AgentLogger } from '../logging/agent-logger';
import { ButtonEdge, ButtonInput, DriverProbe } from './button-input';
import { GpioUnavailableError } from './gpio-unavailable.error';
import {
  RpiGpio,
  RpiGpioLoader,
  destroyPins,
  loadRpiGpio,
  readChannel,
  setupChannel,
} from './rpi-gpio-module';
import { SysfsFiles, nodeSysfsFiles } from './sysfs-files';
import { DEFAULT_SYSFS_GPIO_DIR, checkSysfsGpio, explainSysfsError } from './sysfs-gpio';

export interface RpiGpioDriverOptions {
  /** Where the numbering is checked; the package itself always works in /sys/class/gpio. */
  gpioDir?: string;
  files?: SysfsFiles;
  loadModule?: RpiGpioLoader;
}

/**
 * Buttons through the `rpi-gpio` package (the sysfs interface: export, edge `both`, direction
 * `in`, an epoll wait on `value` and a read at each interrupt). The package writes BCM numbers
 * as they are, which is right only where sysfs numbers GPIOs from 0, so that is checked first.
 * sysfs cannot set the pull-up: it must come from config.txt (`gpio=17=ip,pu`).
 */
export class RpiGpioDriver implements ButtonInput {
  readonly name = 'rpi-gpio';
  private readonly gpioDir: string;
  private readonly files: SysfsFiles;
  private gpio: RpiGpio | null = null;
  private readonly levels = new Map<number, boolean>();

  constructor(
    private readonly logger: AgentLogger,
    private readonly options: RpiGpioDriverOptions = {},
  ) {
    this.gpioDir = options.gpioDir ?? DEFAULT_SYSFS_GPIO_DIR;
    this.files = options.files ?? nodeSysfsFiles;
  }

  async start(pins: readonly number[], onEdge: (edge: ButtonEdge) => void): Promise<void> {
    await checkSysfsGpio(this.gpioDir, pins, this.files);
    const gpio = (this.options.loadModule ?? loadRpiGpio)();
    this.gpio = gpio;
    gpio.setMode(gpio.MODE_BCM);
    gpio.on('change', (pin, high) => this.report(pin, high, performance.now(), onEdge));
    try {
      for (const pin of pins) {
        await setupChannel(gpio, pin, gpio.DIR_IN, gpio.EDGE_BOTH).catch((error: unknown) => {
          throw new GpioUnavailableError(
            `cannot set up GPIO${pin} in ${this.gpioDir}: ${explainSysfsError(error)}`,
          );
        });
        await this.readStartLevel(gpio, pin);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.logger.info(
      { driver: this.name, pins, gpioDir: this.gpioDir },
      'rpi-gpio: watching sysfs GPIO values (the pull-up must be set in config.txt, e.g. gpio=17=ip,pu)',
    );
  }

  async stop(): Promise<void> {
    const gpio = this.gpio;
    this.gpio = null;
    this.levels.clear();
    if (gpio) await destroyPins(gpio);
  }

  private async readStartLevel(gpio: RpiGpio, pin: number): Promise<void> {
    const high = await readChannel(gpio, pin);
    if (!this.levels.has(pin)) this.levels.set(pin, high);
    if (!high) {
      this.logger.warn(
        { driver: this.name, pin },
        `GPIO${pin} reads low (pressed) at start: a button held, or no pull-up (add gpio=${pin}=ip,pu to /boot/firmware/config.txt)`,
      );
    }
  }

  /**
   * The package reads `value` after each interrupt. The same level as before means two or more
   * edges (a press and release between two reads), so both are reported rather than a press
   * lost; bounce that looks like this falls inside the press logic's debounce window.
   */
  private report(pin: number, high: boolean, at: number, onEdge: (edge: ButtonEdge) => void): void {
    if (!this.gpio) return;
    const kindOf = (isHigh: boolean) => (isHigh ? 'up' : 'down');
    if (this.levels.get(pin) === high) onEdge({ pin, kind: kindOf(!high), at });
    this.levels.set(pin, high);
    onEdge({ pin, kind: kindOf(high), at });
  }
}

/** For `auto` and `doctor`: sysfs present, writable, numbered from 0, and the package loadable. */
export function rpiGpioProbe(
  pins: readonly number[],
  options: Pick<RpiGpioDriverOptions, 'gpioDir' | 'files' | 'loadModule'> = {},
): DriverProbe {
  return {
    name: 'rpi-gpio',
    available: () => probeRpiGpio(pins, options),
  };
}

/** Shared with the light and buzzer's probe. */
export async function probeRpiGpio(
  pins: readonly number[],
  options: Pick<RpiGpioDriverOptions, 'gpioDir' | 'files' | 'loadModule'>,
): ReturnType<DriverProbe['available']> {
  const gpioDir = options.gpioDir ?? DEFAULT_SYSFS_GPIO_DIR;
  try {
    const chip = await checkSysfsGpio(gpioDir, pins, options.files ?? nodeSysfsFiles);
    (options.loadModule ?? loadRpiGpio)();
    return { ok: true, detail: `sysfs ${gpioDir}, ${chip.name} (${chip.label}) base 0, rpi-gpio package` };
  } catch (error) {
    if (error instanceof GpioUnavailableError) return { ok: false, reason: error.message, code: error.code };
    throw error;
  }
}
