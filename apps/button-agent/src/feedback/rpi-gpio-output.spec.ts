import { capturedLog } from '../gpio/fixtures/captured-log';
import { FakeSysfs } from '../gpio/fixtures/fake-sysfs';
import { rpiGpioOnFakeSysfs } from '../gpio/fixtures/rpi-gpio-on-fake-sysfs';
import { waitUntil } from '../gpio/fixtures/wait-until';
import { GpioUnavailableError } from '../gpio/gpio-unavailable.error';
import { rpiGpioMissing } from '../gpio/rpi-gpio-module';
import { RpiGpioDriver } from '../gpio/rpi-gpio.driver';
import { FakeClock } from './fixtures/fake-clock';
import { OutputPins } from './line-writer';
import { RpiGpioOutput, rpiGpioOutputProbe } from './rpi-gpio-output';

const PINS: OutputPins = { led: 18, buzzer: 23 };

describe('RpiGpioOutput: the rpi-gpio package on a fake sysfs', () => {
  let sysfs: FakeSysfs | null = null;
  let output: RpiGpioOutput | null = null;

  function setup(chips?: ConstructorParameters<typeof FakeSysfs>[0], pins: OutputPins = PINS) {
    sysfs = new FakeSysfs(chips);
    const log = capturedLog();
    const clock = new FakeClock();
    const loadModule = rpiGpioOnFakeSysfs(sysfs);
    output = new RpiGpioOutput(pins, log.logger, {
      gpioDir: sysfs.gpioDir,
      files: sysfs.files,
      loadModule,
      timers: clock,
    });
    return { sysfs, output, log, clock, loadModule };
  }

  afterEach(async () => {
    await output?.stop();
    sysfs?.remove();
    sysfs = output = null;
  });

  const valueWrites = (sysfs: FakeSysfs) =>
    sysfs.writes.filter(([file]) => file.endsWith('/value')).map(([file, data]) => `${file}=${data}`);

  it('exports each wired pin as an output that starts low (retrying until udev allows)', async () => {
    const { sysfs, output } = setup();
    sysfs.createLine(23); // left exported by a crash
    sysfs.failWrites('gpio18/direction', 'EACCES');
    await output.start();
    expect(sysfs.writes).toEqual([
      ['export', '18'],
      ['gpio18/edge', 'none'],
      ['gpio18/direction', 'low'],
      ['gpio18/direction', 'low'],
      ['unexport', '23'],
      ['export', '23'],
      ['gpio23/edge', 'none'],
      ['gpio23/direction', 'low'],
    ]);
  });

  it("has pins of its own: stopping the light leaves the buttons' lines exported and watched", async () => {
    const { sysfs, output, log, loadModule } = setup();
    const buttons = new RpiGpioDriver(log.logger, { gpioDir: sysfs.gpioDir, files: sysfs.files, loadModule });
    const edges: string[] = [];
    await buttons.start([17], (edge) => edges.push(edge.kind));
    try {
      await output.start();
      await output.stop();
      expect([sysfs.isExported(17), sysfs.isExported(18), sysfs.isExported(23)]).toEqual([
        true,
        false,
        false,
      ]);
      sysfs.setLevel(17, 0);
      await waitUntil(() => edges.length === 1, 'the press after the light stopped');
    } finally {
      await buttons.stop();
    }
    expect(sysfs.isExported(17)).toBe(false);
  });

  it('writes value at each level change of the pattern, and off then unexport on stop', async () => {
    const { sysfs, output, clock } = setup();
    await output.start();
    sysfs.writes.length = 0;
    output.show({ state: 'acknowledged', alertId: '0190abcd', sound: true });
    clock.advance(1500);
    await waitUntil(() => valueWrites(sysfs).length === 3, 'three value writes');
    output.show({ state: 'stored', alertId: '0190abcd', sound: false });
    clock.advance(125);
    await output.stop();

    expect(valueWrites(sysfs)).toEqual([
      'gpio18/value=1',
      'gpio23/value=1',
      'gpio23/value=0', // the end of the long beep
      'gpio18/value=0', // stored: the fast blink's first off (its on was already on)
    ]);
    expect(sysfs.writes.slice(-2)).toEqual([
      ['unexport', '18'],
      ['unexport', '23'],
    ]);
    expect(sysfs.isExported(18) || sysfs.isExported(23)).toBe(false);
  });

  it('stop turns a lit light off before letting it go', async () => {
    const { sysfs, output } = setup(undefined, { led: 18, buzzer: null });
    await output.start();
    output.show({ state: 'acknowledged', alertId: '0190abcd', sound: true });
    await output.stop();
    expect(sysfs.writes.slice(-3)).toEqual([
      ['gpio18/value', '1'],
      ['gpio18/value', '0'],
      ['unexport', '18'],
    ]);
  });

  it('a failing value write is logged once as GPIO_SYSFS_WRITE_FAILED, never thrown', async () => {
    const { sysfs, output, log, clock } = setup(undefined, { led: 18, buzzer: null });
    await output.start();
    sysfs.failWrites('gpio18/value', 'EACCES', 'EACCES', 'EACCES');
    output.show({ state: 'stored', alertId: '0190abcd', sound: false });
    clock.advance(250);
    await waitUntil(() => valueWrites(sysfs).length === 3, 'three failed writes');
    clock.advance(125);
    await waitUntil(() => valueWrites(sysfs).length === 4, 'a write that works');
    const failures = log.lines.filter((line) => line.code === 'GPIO_SYSFS_WRITE_FAILED');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      output: 'led',
      pin: 18,
      why: "no permission: add the agent's user to the gpio group",
    });
  });

  it('refuses kernels numbering sysfs GPIOs from 512, like the button driver', async () => {
    const pi5 = [{ name: 'gpiochip512', base: 512, ngpio: 54, label: 'pinctrl-bcm2711' }];
    const { output, sysfs } = setup(pi5);
    await expect(output.start()).rejects.toMatchObject({ code: 'GPIO_SYSFS_NUMBERING' });
    await expect(output.start()).rejects.toThrow(GpioUnavailableError);
    await expect(
      rpiGpioOutputProbe(PINS, { gpioDir: sysfs.gpioDir, files: sysfs.files }).available(),
    ).resolves.toMatchObject({
      ok: false,
      code: 'GPIO_SYSFS_NUMBERING',
    });
    expect(sysfs.writes).toEqual([]);
  });

  it('without the package: RPI_GPIO_MODULE_MISSING from start and the probe, nothing written', async () => {
    sysfs = new FakeSysfs();
    const loadModule = () => {
      throw rpiGpioMissing(new Error("Cannot find module 'rpi-gpio'"));
    };
    output = new RpiGpioOutput(PINS, capturedLog().logger, { gpioDir: sysfs.gpioDir, loadModule });
    await expect(output.start()).rejects.toMatchObject({ code: 'RPI_GPIO_MODULE_MISSING' });
    await expect(
      rpiGpioOutputProbe(PINS, { gpioDir: sysfs.gpioDir, loadModule }).available(),
    ).resolves.toMatchObject({
      ok: false,
      code: 'RPI_GPIO_MODULE_MISSING',
    });
    expect(sysfs.writes).toEqual([]);
  });
});
