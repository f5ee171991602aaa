import { join } from 'node:path';
import { AgentLogger } from '../logging/agent-logger';
import { ButtonEdge, ButtonInput, DriverProbe } from './button-input';
import { GpioUnavailableError } from './gpio-unavailable.error';
import { SysfsFiles, nodeSysfsFiles } from './sysfs-files';
import {
  DEFAULT_SETUP_RETRY,
  DEFAULT_SYSFS_GPIO_DIR,
  SetupRetry,
  checkSysfsGpio,
  exportSysfsPin,
} from './sysfs-gpio';

export interface RpiGpioDriverOptions {
  gpioDir?: string;
  files?: SysfsFiles;
  setupRetry?: SetupRetry;
}

interface WatchedPin {
  pin: number;
  valuePath: string;
  level: 0 | 1 | null;
  watcher: { close(): void } | null;
  reading: boolean;
  readAgain: boolean;
  notifiedAt: number;
}

/**
 * The sysfs interface the `rpi-gpio` module uses, done the same way (export, direction `in`,
 * edge `both`, read `value` on each interrupt) without its native `epoll` module: an edge
 * interrupt makes the kernel call sysfs_notify on `value`, which (kernfs, since Linux 3.16)
 * raises an inotify IN_MODIFY as well as POLLPRI; `fs.watch` is inotify, so no polling.
 * sysfs cannot set the pull-up: it must come from config.txt (`gpio=17=ip,pu`).
 */
export class RpiGpioDriver implements ButtonInput {
  readonly name = 'rpi-gpio';
  private readonly gpioDir: string;
  private readonly files: SysfsFiles;
  private pins: WatchedPin[] = [];
  private exported: number[] = [];
  private running = false;

  constructor(
    private readonly logger: AgentLogger,
    private readonly options: RpiGpioDriverOptions = {},
  ) {
    this.gpioDir = options.gpioDir ?? DEFAULT_SYSFS_GPIO_DIR;
    this.files = options.files ?? nodeSysfsFiles;
  }

  async start(pins: readonly number[], onEdge: (edge: ButtonEdge) => void): Promise<void> {
    await checkSysfsGpio(this.gpioDir, pins, this.files);
    this.running = true;
    try {
      for (const pin of pins) {
        await this.exportPin(pin);
        this.pins.push(await this.watchPin(pin, onEdge));
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
    this.running = false;
    for (const watched of this.pins) watched.watcher?.close();
    this.pins = [];
    for (const pin of this.exported) {
      await this.files.write(join(this.gpioDir, 'unexport'), String(pin)).catch(() => undefined);
    }
    this.exported = [];
  }

  private exportPin(pin: number): Promise<void> {
    return exportSysfsPin(
      this.gpioDir,
      pin,
      [
        ['direction', 'in'],
        ['edge', 'both'],
      ],
      this.files,
      this.options.setupRetry ?? DEFAULT_SETUP_RETRY,
      () => this.exported.push(pin),
    );
  }

  private async watchPin(pin: number, onEdge: (edge: ButtonEdge) => void): Promise<WatchedPin> {
    const valuePath = join(this.gpioDir, `gpio${pin}`, 'value');
    const watched: WatchedPin = {
      pin,
      valuePath,
      level: await this.readLevel(valuePath),
      watcher: null,
      reading: false,
      readAgain: false,
      notifiedAt: 0,
    };
    if (watched.level === 0) {
      this.logger.warn(
        { driver: this.name, pin },
        `GPIO${pin} reads low (pressed) at start: a button held, or no pull-up (add gpio=${pin}=ip,pu to /boot/firmware/config.txt)`,
      );
    }
    watched.watcher = this.files.watch(valuePath, (event) => {
      if (event === 'rename') return this.lose(watched, 'the value file went away (unexported?)');
      watched.notifiedAt = performance.now();
      if (watched.reading) watched.readAgain = true;
      else void this.readChanges(watched, onEdge);
    });
    return watched;
  }

  /** One read at a time per pin; notifications during a read lead to one more read. */
  private async readChanges(watched: WatchedPin, onEdge: (edge: ButtonEdge) => void): Promise<void> {
    watched.reading = true;
    try {
      do {
        watched.readAgain = false;
        const at = watched.notifiedAt;
        const level = await this.readLevel(watched.valuePath);
        if (!this.running || level === null) continue;
        this.report(watched, level, at, onEdge);
      } while (watched.readAgain && this.running);
    } catch (error) {
      this.lose(watched, (error as NodeJS.ErrnoException).code ?? String(error));
    } finally {
      watched.reading = false;
    }
  }

  /**
   * A notification means at least one edge. The same level as before means two or more (a
   * press and release between two reads), so both are reported rather than a press lost;
   * bounce that looks like this falls inside the press logic's debounce window.
   */
  private report(watched: WatchedPin, level: 0 | 1, at: number, onEdge: (edge: ButtonEdge) => void): void {
    const kindOf = (value: 0 | 1) => (value === 0 ? 'down' : 'up');
    if (watched.level === level) onEdge({ pin: watched.pin, kind: kindOf(level === 0 ? 1 : 0), at });
    watched.level = level;
    onEdge({ pin: watched.pin, kind: kindOf(level), at });
  }

  private lose(watched: WatchedPin, why: string): void {
    if (!this.running) return;
    watched.watcher?.close();
    watched.watcher = null;
    this.logger.error(
      { code: 'GPIO_SYSFS_LINE_LOST', pin: watched.pin, why },
      `GPIO${watched.pin} can no longer be watched in sysfs`,
    );
  }

  private async readLevel(valuePath: string): Promise<0 | 1 | null> {
    const text = (await this.files.read(valuePath)).trim();
    return text === '0' ? 0 : text === '1' ? 1 : null;
  }
}

/** For `auto` and `doctor`: sysfs present, writable, numbered from 0. */
export function rpiGpioProbe(
  pins: readonly number[],
  options: Pick<RpiGpioDriverOptions, 'gpioDir' | 'files'> = {},
): DriverProbe {
  const gpioDir = options.gpioDir ?? DEFAULT_SYSFS_GPIO_DIR;
  return {
    name: 'rpi-gpio',
    async available() {
      try {
        const chip = await checkSysfsGpio(gpioDir, pins, options.files ?? nodeSysfsFiles);
        return { ok: true, detail: `sysfs ${gpioDir}, ${chip.name} (${chip.label}) base 0` };
      } catch (error) {
        if (error instanceof GpioUnavailableError)
          return { ok: false, reason: error.message, code: error.code };
        throw error;
      }
    },
  };
}
