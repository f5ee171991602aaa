import { ButtonEdge } from './button-input';
import { capturedLog } from './fixtures/captured-log';
import { FakeSysfs } from './fixtures/fake-sysfs';
import { rpiGpioOnFakeSysfs } from './fixtures/rpi-gpio-on-fake-sysfs';
import { waitUntil } from './fixtures/wait-until';
import { RpiGpioLoader, rpiGpioMissing } from './rpi-gpio-module';
import { RpiGpioDriver, rpiGpioProbe } from './rpi-gpio.driver';

const PI5_KERNEL_6_6 = [
  { name: 'gpiochip512', base: 512, ngpio: 54, label: 'pinctrl-bcm2711' },
  { name: 'gpiochip566', base: 566, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];

describe('RpiGpioDriver: the rpi-gpio package on a fake sysfs', () => {
  let sysfs: FakeSysfs | null = null;
  let driver: RpiGpioDriver | null = null;

  function setup(
    chips?: ConstructorParameters<typeof FakeSysfs>[0],
    load?: (sysfs: FakeSysfs) => RpiGpioLoader,
  ) {
    sysfs = new FakeSysfs(chips);
    const log = capturedLog();
    const loadModule = jest.fn(load ? load(sysfs) : rpiGpioOnFakeSysfs(sysfs));
    driver = new RpiGpioDriver(log.logger, { gpioDir: sysfs.gpioDir, files: sysfs.files, loadModule });
    const edges: ButtonEdge[] = [];
    return { sysfs, driver, log, edges, loadModule, onEdge: (edge: ButtonEdge) => edges.push(edge) };
  }

  afterEach(async () => {
    await driver?.stop();
    sysfs?.remove();
    sysfs = driver = null;
  });

  it('exports, sets edge then direction (retrying until udev allows), and takes back a line left exported', async () => {
    const { sysfs, driver, onEdge } = setup();
    sysfs.createLine(27); // left exported by a crash
    sysfs.failWrites('gpio17/edge', 'EACCES', 'EACCES');
    await driver.start([17, 27], onEdge);
    expect(sysfs.writes).toEqual([
      ['export', '17'],
      ['gpio17/edge', 'both'],
      ['gpio17/edge', 'both'],
      ['gpio17/edge', 'both'],
      ['gpio17/direction', 'in'],
      ['unexport', '27'],
      ['export', '27'],
      ['gpio27/edge', 'both'],
      ['gpio27/direction', 'in'],
    ]);
    expect([sysfs.read(17, 'edge'), sysfs.read(17, 'direction')]).toEqual(['both', 'in']);
  });

  it('reports each change of value as an edge: low = down, high = up', async () => {
    const { sysfs, driver, edges, onEdge } = setup();
    await driver.start([17, 27], onEdge);
    const before = performance.now();
    sysfs.setLevel(17, 0);
    await waitUntil(() => edges.length === 1, 'the press');
    sysfs.setLevel(17, 1);
    await waitUntil(() => edges.length === 2, 'the release');
    sysfs.setLevel(27, 0);
    await waitUntil(() => edges.length === 3, 'the other button');
    expect(edges.map(({ pin, kind }) => [pin, kind])).toEqual([
      [17, 'down'],
      [17, 'up'],
      [27, 'down'],
    ]);
    expect(edges[0].at).toBeGreaterThanOrEqual(before);
    expect(edges[1].at).toBeGreaterThanOrEqual(edges[0].at);
  });

  it('an interrupt with an unchanged level is a press and release missed between reads', async () => {
    const { sysfs, driver, edges, onEdge } = setup();
    await driver.start([17], onEdge);
    sysfs.setLevel(17, 1);
    await waitUntil(() => edges.length === 2, 'both edges');
    expect(edges.map(({ kind }) => kind)).toEqual(['down', 'up']);
    expect(edges[0].at).toBe(edges[1].at);
  });

  it('warns when a line reads low at start (no pull-up: sysfs cannot set it)', async () => {
    const { sysfs, driver, log, onEdge } = setup();
    sysfs.initialLevel = 0;
    await driver.start([17], onEdge);
    const warning = log.lines.find((line) => line.level === 40);
    expect(warning?.msg).toContain('gpio=17=ip,pu');
  });

  it('stop() stops the edges and unexports the lines', async () => {
    const { sysfs, driver, edges, onEdge } = setup();
    await driver.start([17], onEdge);
    await driver.stop();
    expect(sysfs.isExported(17)).toBe(false);
    expect(sysfs.writes.at(-1)).toEqual(['unexport', '17']);
    expect(edges).toEqual([]);
  });

  it('refuses the non-zero base of current kernels before the package writes anything', async () => {
    const { driver, onEdge, sysfs, loadModule } = setup(PI5_KERNEL_6_6);
    await expect(driver.start([17], onEdge)).rejects.toMatchObject({
      code: 'GPIO_SYSFS_NUMBERING',
      message: expect.stringMatching(/start at 512.*gpio529.*VIGIE_GPIO_DRIVER=gpiod/),
    });
    expect(sysfs.writes).toEqual([]);
    expect(loadModule).not.toHaveBeenCalled();
  });

  it('says why a line cannot be exported, and leaves none exported', async () => {
    const { sysfs, driver, onEdge } = setup();
    sysfs.failWrites('export', 'ENOENT', 'EBUSY');
    await expect(driver.start([27, 17], onEdge)).rejects.toThrow(/GPIO27.*ENOENT/);
    await expect(driver.start([17, 27], onEdge)).rejects.toThrow(/GPIO17.*in use by another program/);
    expect(sysfs.isExported(17) || sysfs.isExported(27)).toBe(false);
  });

  it('says so in one line when the machine is not a Raspberry Pi (no Revision in /proc/cpuinfo)', async () => {
    const { driver, onEdge } = setup(undefined, (tree) =>
      rpiGpioOnFakeSysfs(tree, 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\n'),
    );
    const failure = await driver.start([17], onEdge).catch((error: Error) => error);
    expect(failure).toMatchObject({ message: expect.stringMatching(/GPIO17.*Unable to match Revision/) });
    expect((failure as Error).message).not.toContain('Xeon');
  });

  it('a pin off the 40-pin header is refused by the package with its reason', async () => {
    const { driver, onEdge } = setup();
    await expect(driver.start([45], onEdge)).rejects.toThrow(/GPIO45.*does not map to a GPIO pin/);
  });

  it('without the package it fails with RPI_GPIO_MODULE_MISSING, before any write', async () => {
    const { driver, onEdge, sysfs } = setup(undefined, () => () => {
      throw rpiGpioMissing(new Error("Cannot find module 'rpi-gpio'"));
    });
    await expect(driver.start([17], onEdge)).rejects.toMatchObject({
      code: 'RPI_GPIO_MODULE_MISSING',
      message: expect.stringMatching(
        /Cannot find module 'rpi-gpio'.*npm install rpi-gpio@2.*VIGIE_GPIO_DRIVER=gpiod/,
      ),
    });
    expect(sysfs.writes).toEqual([]);
  });
});

describe('rpiGpioProbe', () => {
  let sysfs: FakeSysfs | null = null;
  afterEach(() => sysfs?.remove());

  it('accepts sysfs numbered from 0 with the package loadable', async () => {
    sysfs = new FakeSysfs();
    const loadModule = rpiGpioOnFakeSysfs(sysfs);
    await expect(rpiGpioProbe([17], { gpioDir: sysfs.gpioDir, loadModule }).available()).resolves.toEqual({
      ok: true,
      detail: `sysfs ${sysfs.gpioDir}, gpiochip0 (pinctrl-bcm2835) base 0, rpi-gpio package`,
    });
  });

  it('refuses base 512 or 571, a kernel without sysfs, a pin off the chip, a missing package', async () => {
    sysfs = new FakeSysfs(PI5_KERNEL_6_6);
    const probe = (pins: number[], gpioDir: string, loadModule?: RpiGpioLoader) =>
      rpiGpioProbe(pins, { gpioDir, loadModule: loadModule ?? rpiGpioOnFakeSysfs(sysfs!) }).available();
    await expect(probe([17], sysfs.gpioDir)).resolves.toMatchObject({
      ok: false,
      code: 'GPIO_SYSFS_NUMBERING',
    });
    await expect(probe([17], `${sysfs.root}/none`)).resolves.toMatchObject({
      ok: false,
      reason: expect.stringContaining('no GPIO sysfs interface'),
    });
    sysfs.remove();
    sysfs = new FakeSysfs([{ name: 'gpiochip0', base: 0, ngpio: 28, label: 'pinctrl-bcm2835' }]);
    await expect(probe([40], sysfs.gpioDir)).resolves.toMatchObject({
      ok: false,
      code: 'GPIO_LINE_NOT_FOUND',
    });
    const missing = () => {
      throw rpiGpioMissing(new Error('epoll.node was compiled against a different Node.js version'));
    };
    await expect(probe([17], sysfs.gpioDir, missing)).resolves.toMatchObject({
      ok: false,
      code: 'RPI_GPIO_MODULE_MISSING',
      reason: expect.stringContaining('compiled against a different Node.js version'),
    });
  });
});
