import { GpioUnavailableError } from './gpio-unavailable.error';

type Done = (error?: Error | null) => void;

/** The part of the `rpi-gpio` package's callback API the rpi-gpio driver uses. */
export interface RpiGpio {
  readonly MODE_BCM: string;
  readonly DIR_IN: string;
  /** An output that starts low: the light does not flash on while it is being set up. */
  readonly DIR_LOW: string;
  readonly EDGE_NONE: string;
  readonly EDGE_BOTH: string;
  setMode(mode: string): void;
  setup(channel: number, direction: string, edge: string, done: Done): void;
  read(channel: number, done: (error: Error | null, value?: boolean) => void): void;
  write(channel: number, value: boolean, done: Done): void;
  destroy(done: Done): void;
  on(event: 'change', listener: (channel: number, value: boolean) => void): this;
  removeAllListeners(): this;
}

/** Loads the package; tests load it on a fake sysfs tree instead. Throws GpioUnavailableError. */
export type RpiGpioLoader = () => RpiGpio;

export const RPI_GPIO_INSTALL_HINT =
  'install it beside the agent (cd /opt/vigie-agent && npm install rpi-gpio@2, which builds its native epoll module), ' +
  'or set VIGIE_GPIO_DRIVER=gpiod (apt install gpiod)';

/**
 * The `rpi-gpio` package, loaded only when the rpi-gpio driver is chosen or probed: it is an
 * optional dependency (its `epoll` module is native code built at install), and the one-file
 * agent a Pi installs does not carry it. The package exports one shared instance; each caller
 * gets an instance of its own from the same constructor, so that the light's `destroy()` does
 * not unexport the buttons' pins, nor the other way round.
 */
export const loadRpiGpio: RpiGpioLoader = () => {
  let shared: RpiGpio;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, may be absent
    shared = require('rpi-gpio') as RpiGpio;
  } catch (error) {
    throw rpiGpioMissing(error);
  }
  return ownInstance(shared);
};

/** A new instance from the constructor of the package's shared one: its own pins and listeners. */
export function ownInstance(shared: RpiGpio): RpiGpio {
  const Instance = shared.constructor as new () => RpiGpio;
  return new Instance();
}

/** Why the package cannot load (not installed, or its native module built for another Node.js). */
export function rpiGpioMissing(error: unknown): GpioUnavailableError {
  const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new GpioUnavailableError(
    `the rpi-gpio package cannot be loaded (${why}): ${RPI_GPIO_INSTALL_HINT}`,
    'RPI_GPIO_MODULE_MISSING',
  );
}

/** The package's callback API as promises. */
export function setupChannel(gpio: RpiGpio, channel: number, direction: string, edge: string): Promise<void> {
  return new Promise((resolve, reject) =>
    gpio.setup(channel, direction, edge, (error) => (error ? reject(error) : resolve())),
  );
}

export function readChannel(gpio: RpiGpio, channel: number): Promise<boolean> {
  return new Promise((resolve, reject) =>
    gpio.read(channel, (error, value) => (error ? reject(error) : resolve(value === true))),
  );
}

export function writeChannel(gpio: RpiGpio, channel: number, value: boolean): Promise<void> {
  return new Promise((resolve, reject) =>
    gpio.write(channel, value, (error) => (error ? reject(error) : resolve())),
  );
}

/** Unexports every pin this instance set up; errors are left out (the pins may be gone already). */
export function destroyPins(gpio: RpiGpio): Promise<void> {
  gpio.removeAllListeners();
  return new Promise((resolve) => gpio.destroy(() => resolve()));
}
