import { AgentConfig, ButtonConfig, GpioDriverName } from '../config/agent-config';
import { describeCode } from '../diagnostics/error-codes';
import { AgentLogger } from '../logging/agent-logger';
import { ButtonInput, DriverProbe } from './button-input';
import { GpioUnavailableError } from './gpio-unavailable.error';
import { GpiodDriver, GpiodDriverOptions, gpiodProbe } from './gpiod.driver';
import { KeyboardDriver, KeyboardInputStream, keyboardProbe } from './keyboard.driver';
import { RpiGpioDriver, RpiGpioDriverOptions, rpiGpioProbe } from './rpi-gpio.driver';

/** Everything the drivers need; the defaults are the real system (tests replace them). */
export interface GpioSelectionOptions {
  logger: AgentLogger;
  buttons: readonly ButtonConfig[];
  gpiod?: GpiodDriverOptions;
  rpiGpio?: RpiGpioDriverOptions;
  keyboardInput?: KeyboardInputStream;
}

type DriverName = Exclude<GpioDriverName, 'auto'>;

/** `auto` tries them in this order: the character device first, sysfs where it still works, a person last. */
const AUTO_ORDER: readonly DriverName[] = ['gpiod', 'rpi-gpio', 'keyboard'];

/** One probe per driver, for `doctor` and `auto`. */
export function driverProbes(options: GpioSelectionOptions): Record<DriverName, DriverProbe> {
  const pins = options.buttons.map((button) => button.pin);
  return {
    gpiod: gpiodProbe(pins, options.gpiod?.commands),
    'rpi-gpio': rpiGpioProbe(pins, options.rpiGpio),
    keyboard: keyboardProbe(options.keyboardInput),
  };
}

/**
 * The ButtonInput to start. A named driver is checked first, so a wrong choice fails at once
 * with the reason; `VIGIE_GPIO_DRIVER=keyboard` is taken as asked, whatever stdin is. `auto`
 * takes the first that works and logs why the ones before it were skipped. Throws
 * GpioUnavailableError (GPIO_UNAVAILABLE, or the driver's own code) when none can work.
 */
export async function selectButtonInput(
  name: GpioDriverName,
  options: GpioSelectionOptions,
): Promise<ButtonInput> {
  const { logger } = options;
  if (name === 'keyboard') {
    logger.info({ driver: 'keyboard', choice: 'configured' }, 'GPIO driver: keyboard (as configured)');
    return createDriver('keyboard', options);
  }
  const probes = driverProbes(options);
  if (name !== 'auto') {
    const result = await probes[name].available();
    if (!result.ok) {
      throw new GpioUnavailableError(
        `VIGIE_GPIO_DRIVER=${name} cannot work here: ${result.reason}`,
        result.code,
      );
    }
    logger.info({ driver: name, choice: 'configured', detail: result.detail }, `GPIO driver: ${name}`);
    return createDriver(name, options);
  }
  const skipped: Partial<Record<DriverName, string>> = {};
  for (const candidate of AUTO_ORDER) {
    const result = await probes[candidate].available();
    if (result.ok) {
      logger.info(
        { driver: candidate, choice: 'auto', detail: result.detail, skipped },
        `GPIO driver: ${candidate} (auto)`,
      );
      return createDriver(candidate, options);
    }
    skipped[candidate] = result.reason;
  }
  const reasons = AUTO_ORDER.map((candidate) => `${candidate}: ${skipped[candidate]}`).join('; ');
  throw new GpioUnavailableError(`no GPIO driver works here (${reasons})`);
}

/** `run`'s entry point: the configured driver for the configured buttons. */
export function selectDriver(
  config: Pick<AgentConfig, 'gpioDriver' | 'buttons'>,
  logger: AgentLogger,
  overrides: Partial<GpioSelectionOptions> = {},
): Promise<ButtonInput> {
  return selectButtonInput(config.gpioDriver, { logger, buttons: config.buttons, ...overrides });
}

/** One `doctor` line (step, ok, detail, code), in the shape of the doctor's other checks. */
export interface GpioCheck {
  step: string;
  ok: boolean;
  detail: string;
  code?: string;
}

/**
 * `doctor`'s GPIO step: the driver `run` would use, found the same way, without starting it.
 * With `auto`, the drivers skipped before it are named too, so a technician sees why. The
 * keyboard is left out of `auto` here: doctor runs at a terminal, the service never does.
 */
export async function probeDrivers(
  config: Pick<AgentConfig, 'gpioDriver' | 'buttons'>,
  logger: AgentLogger,
  overrides: Partial<GpioSelectionOptions> = {},
): Promise<GpioCheck[]> {
  const probes = driverProbes({ logger, buttons: config.buttons, ...overrides });
  const name = config.gpioDriver;
  if (name === 'keyboard')
    return [{ step: 'gpio', ok: true, detail: 'keyboard (as configured): presses read from stdin' }];
  const candidates: readonly DriverName[] = name === 'auto' ? ['gpiod', 'rpi-gpio'] : [name];
  const skipped: string[] = [];
  for (const candidate of candidates) {
    const result = await probes[candidate].available();
    if (result.ok) {
      const also = skipped.length > 0 ? ` (skipped ${skipped.join('; ')})` : '';
      return [{ step: 'gpio', ok: true, detail: `${candidate}: ${result.detail}${also}` }];
    }
    skipped.push(`${candidate}: ${result.reason}`);
    if (name !== 'auto') return [gpioFailure(result.code ?? 'GPIO_UNAVAILABLE', skipped.join('; '))];
  }
  return [gpioFailure('GPIO_UNAVAILABLE', skipped.join('; '))];
}

function gpioFailure(code: string, reasons: string): GpioCheck {
  const { meaning, check } = describeCode(code);
  return { step: 'gpio', ok: false, code, detail: `${code} (${reasons}): ${meaning}. Try: ${check}` };
}

function createDriver(name: DriverName, options: GpioSelectionOptions): ButtonInput {
  switch (name) {
    case 'gpiod':
      return new GpiodDriver(options.logger, options.gpiod);
    case 'rpi-gpio':
      return new RpiGpioDriver(options.logger, options.rpiGpio);
    case 'keyboard':
      return new KeyboardDriver(options.buttons, options.logger, options.keyboardInput);
  }
}
