import { PassThrough } from 'node:stream';
import { ButtonConfig } from '../config/agent-config';
import { capturedLog } from './fixtures/captured-log';
import { FakeGpioTools } from './fixtures/fake-gpio-tools';
import { FakeSysfs } from './fixtures/fake-sysfs';
import { rpiGpioOnFakeSysfs } from './fixtures/rpi-gpio-on-fake-sysfs';
import { RpiGpioLoader, rpiGpioMissing } from './rpi-gpio-module';
import { GpioUnavailableError } from './gpio-unavailable.error';
import { GpioSelectionOptions, probeDrivers, selectButtonInput, selectDriver } from './select-driver';

const packageMissing: RpiGpioLoader = () => {
  throw rpiGpioMissing(new Error("Cannot find module 'rpi-gpio'"));
};
const BUTTONS: ButtonConfig[] = [{ pin: 17, type: 'panic', label: null }];
const NO_GPIOMON = { gpiomon: '/nonexistent/gpiomon', gpiofind: '/nonexistent/gpiofind', gpioinfo: '/x' };

describe('selectButtonInput', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  function world(options: {
    gpiomon: boolean;
    sysfsBase: number | null;
    tty: boolean;
    rpiGpioPackage?: boolean;
  }) {
    const log = capturedLog();
    let commands = NO_GPIOMON;
    if (options.gpiomon) {
      const tools = new FakeGpioTools({ version: '2.2.1', lines: { GPIO17: ['gpiochip0', 17] }, runs: [] });
      cleanups.push(() => tools.remove());
      commands = tools.commands;
    }
    const sysfs = new FakeSysfs(
      options.sysfsBase === null
        ? []
        : [
            {
              name: `gpiochip${options.sysfsBase}`,
              base: options.sysfsBase,
              ngpio: 54,
              label: 'pinctrl-bcm2711',
            },
          ],
    );
    cleanups.push(() => sysfs.remove());
    const selection: GpioSelectionOptions = {
      logger: log.logger,
      buttons: BUTTONS,
      gpiod: { commands },
      rpiGpio: {
        gpioDir: sysfs.gpioDir,
        files: sysfs.files,
        loadModule: options.rpiGpioPackage === false ? packageMissing : rpiGpioOnFakeSysfs(sysfs),
      },
      keyboardInput: Object.assign(new PassThrough(), { isTTY: options.tty }),
    };
    return { log, selection };
  }

  it('auto takes gpiod when gpiomon finds the lines, and says so', async () => {
    const { log, selection } = world({ gpiomon: true, sysfsBase: 0, tty: true });
    await expect(selectButtonInput('auto', selection)).resolves.toMatchObject({ name: 'gpiod' });
    expect(log.lines.at(-1)).toMatchObject({
      driver: 'gpiod',
      choice: 'auto',
      detail: 'gpiomon v2.2.1, GPIO17 on gpiochip0 line 17',
    });
  });

  it('auto falls back to rpi-gpio on an old kernel without gpiod, logging why gpiod was skipped', async () => {
    const { log, selection } = world({ gpiomon: false, sysfsBase: 0, tty: false });
    await expect(selectButtonInput('auto', selection)).resolves.toMatchObject({ name: 'rpi-gpio' });
    expect(log.lines.at(-1)).toMatchObject({
      driver: 'rpi-gpio',
      skipped: { gpiod: expect.stringContaining('apt install gpiod') },
    });
  });

  it('auto moves on when the rpi-gpio package cannot load, and says why', async () => {
    const { log, selection } = world({ gpiomon: false, sysfsBase: 0, tty: true, rpiGpioPackage: false });
    await expect(selectButtonInput('auto', selection)).resolves.toMatchObject({ name: 'keyboard' });
    expect(log.lines.at(-1)).toMatchObject({
      driver: 'keyboard',
      skipped: { 'rpi-gpio': expect.stringContaining('the rpi-gpio package cannot be loaded') },
    });
    await expect(selectButtonInput('rpi-gpio', selection)).rejects.toMatchObject({
      code: 'RPI_GPIO_MODULE_MISSING',
    });
  });

  it('auto falls back to the keyboard only at a terminal', async () => {
    const { selection } = world({ gpiomon: false, sysfsBase: 512, tty: true });
    await expect(selectButtonInput('auto', selection)).resolves.toMatchObject({ name: 'keyboard' });
  });

  it('auto with nothing that works: GPIO_UNAVAILABLE with every reason', async () => {
    const { selection } = world({ gpiomon: false, sysfsBase: 512, tty: false });
    const failure = selectButtonInput('auto', selection);
    await expect(failure).rejects.toBeInstanceOf(GpioUnavailableError);
    await expect(failure).rejects.toMatchObject({
      code: 'GPIO_UNAVAILABLE',
      message: expect.stringMatching(
        /gpiod: gpiomon not found.*rpi-gpio: .*start at 512.*keyboard: stdin is not/,
      ),
    });
  });

  it('a configured driver that cannot work fails at once with its own code', async () => {
    const { selection } = world({ gpiomon: true, sysfsBase: 512, tty: false });
    await expect(selectButtonInput('rpi-gpio', selection)).rejects.toMatchObject({
      code: 'GPIO_SYSFS_NUMBERING',
    });
  });

  it('VIGIE_GPIO_DRIVER=keyboard is taken whatever stdin is', async () => {
    const { log, selection } = world({ gpiomon: false, sysfsBase: null, tty: false });
    const input = await selectDriver({ gpioDriver: 'keyboard', buttons: BUTTONS }, log.logger, selection);
    expect(input.name).toBe('keyboard');
  });
});

describe('probeDrivers (doctor)', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  function sysfsWithBase(base: number, loadModule?: RpiGpioLoader) {
    const sysfs = new FakeSysfs([{ name: `gpiochip${base}`, base, ngpio: 54, label: 'pinctrl-rp1' }]);
    cleanups.push(() => sysfs.remove());
    return { gpioDir: sysfs.gpioDir, loadModule: loadModule ?? rpiGpioOnFakeSysfs(sysfs) };
  }

  it('one line naming the driver auto would take and the ones skipped', async () => {
    const { logger } = capturedLog();
    const results = await probeDrivers({ gpioDriver: 'auto', buttons: BUTTONS }, logger, {
      gpiod: { commands: NO_GPIOMON },
      rpiGpio: sysfsWithBase(0),
    });
    expect(results).toEqual([
      {
        step: 'gpio',
        ok: true,
        detail: expect.stringMatching(
          /^rpi-gpio: sysfs .* base 0, rpi-gpio package \(skipped gpiod: gpiomon not found/,
        ),
      },
    ]);
  });

  it('a failure carries its code, meaning and what to try', async () => {
    const { logger } = capturedLog();
    const results = await probeDrivers({ gpioDriver: 'rpi-gpio', buttons: BUTTONS }, logger, {
      rpiGpio: sysfsWithBase(571),
    });
    expect(results).toEqual([
      {
        step: 'gpio',
        ok: false,
        code: 'GPIO_SYSFS_NUMBERING',
        detail: expect.stringMatching(
          /^GPIO_SYSFS_NUMBERING \(rpi-gpio: .*571.*\): .*Try: set VIGIE_GPIO_DRIVER=gpiod/,
        ),
      },
    ]);
  });

  it('names the missing rpi-gpio package with its code and what to install', async () => {
    const { logger } = capturedLog();
    const results = await probeDrivers({ gpioDriver: 'rpi-gpio', buttons: BUTTONS }, logger, {
      rpiGpio: sysfsWithBase(0, packageMissing),
    });
    expect(results[0]).toMatchObject({
      ok: false,
      code: 'RPI_GPIO_MODULE_MISSING',
      detail: expect.stringMatching(
        /^RPI_GPIO_MODULE_MISSING \(rpi-gpio: .*\): .*Try: cd \/opt\/vigie-agent && npm install rpi-gpio@2/,
      ),
    });
  });

  it('auto with no GPIO at all fails as GPIO_UNAVAILABLE', async () => {
    const { logger } = capturedLog();
    const results = await probeDrivers({ gpioDriver: 'auto', buttons: BUTTONS }, logger, {
      gpiod: { commands: NO_GPIOMON },
      rpiGpio: sysfsWithBase(512),
    });
    expect(results[0]).toMatchObject({ ok: false, code: 'GPIO_UNAVAILABLE' });
  });
});
