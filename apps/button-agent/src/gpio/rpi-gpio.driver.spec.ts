import { ButtonEdge } from './button-input';
import { capturedLog } from './fixtures/captured-log';
import { FakeSysfs } from './fixtures/fake-sysfs';
import { waitUntil } from './fixtures/wait-until';
import { RpiGpioDriver, rpiGpioProbe } from './rpi-gpio.driver';

const PI5_KERNEL_6_6 = [
  { name: 'gpiochip512', base: 512, ngpio: 54, label: 'pinctrl-bcm2711' },
  { name: 'gpiochip566', base: 566, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];

describe('RpiGpioDriver against a fake sysfs', () => {
  let sysfs: FakeSysfs | null = null;
  let driver: RpiGpioDriver | null = null;

  function setup(chips?: ConstructorParameters<typeof FakeSysfs>[0]) {
    sysfs = new FakeSysfs(chips);
    const log = capturedLog();
    driver = new RpiGpioDriver(log.logger, {
      gpioDir: sysfs.gpioDir,
      files: sysfs.files,
      setupRetry: { attempts: 5, delayMs: 1 },
    });
    const edges: ButtonEdge[] = [];
    return { sysfs, driver, log, edges, onEdge: (edge: ButtonEdge) => edges.push(edge) };
  }

  afterEach(async () => {
    await driver?.stop();
    sysfs?.remove();
    sysfs = driver = null;
  });

  it('exports, sets direction then edge (retrying until udev allows), as rpi-gpio does', async () => {
    const { sysfs, driver, onEdge } = setup();
    sysfs.createLine(27); // left exported by a crash
    sysfs.failWrites('gpio17/direction', 'EACCES', 'EACCES');
    await driver.start([17, 27], onEdge);
    expect(sysfs.writes).toEqual([
      ['export', '17'],
      ['gpio17/direction', 'in'],
      ['gpio17/direction', 'in'],
      ['gpio17/direction', 'in'],
      ['gpio17/edge', 'both'],
      ['unexport', '27'],
      ['export', '27'],
      ['gpio27/direction', 'in'],
      ['gpio27/edge', 'both'],
    ]);
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

  it('a notification with an unchanged level is a press and release missed between reads', async () => {
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

  it('refuses the non-zero base of current kernels and points to gpiod', async () => {
    const { driver, onEdge, sysfs } = setup(PI5_KERNEL_6_6);
    await expect(driver.start([17], onEdge)).rejects.toMatchObject({
      code: 'GPIO_SYSFS_NUMBERING',
      message: expect.stringMatching(/start at 512.*gpio529.*VIGIE_GPIO_DRIVER=gpiod/),
    });
    expect(sysfs.writes).toEqual([]);
  });

  it('says why a line cannot be exported', async () => {
    const { sysfs, driver, onEdge } = setup();
    sysfs.failWrites('export', 'EBUSY');
    await expect(driver.start([17], onEdge)).rejects.toThrow(/GPIO17.*in use by another program/);
  });
});

describe('rpiGpioProbe', () => {
  let sysfs: FakeSysfs | null = null;
  afterEach(() => sysfs?.remove());

  it('accepts sysfs numbered from 0', async () => {
    sysfs = new FakeSysfs();
    await expect(rpiGpioProbe([17], { gpioDir: sysfs.gpioDir }).available()).resolves.toEqual({
      ok: true,
      detail: `sysfs ${sysfs.gpioDir}, gpiochip0 (pinctrl-bcm2835) base 0`,
    });
  });

  it('refuses base 512 or 571, a kernel without sysfs, a pin off the chip', async () => {
    sysfs = new FakeSysfs(PI5_KERNEL_6_6);
    await expect(rpiGpioProbe([17], { gpioDir: sysfs.gpioDir }).available()).resolves.toMatchObject({
      ok: false,
      code: 'GPIO_SYSFS_NUMBERING',
    });
    await expect(rpiGpioProbe([17], { gpioDir: `${sysfs.root}/none` }).available()).resolves.toMatchObject({
      ok: false,
      reason: expect.stringContaining('no GPIO sysfs interface'),
    });
    sysfs.remove();
    sysfs = new FakeSysfs([{ name: 'gpiochip0', base: 0, ngpio: 28, label: 'pinctrl-bcm2835' }]);
    await expect(rpiGpioProbe([40], { gpioDir: sysfs.gpioDir }).available()).resolves.toMatchObject({
      ok: false,
      code: 'GPIO_LINE_NOT_FOUND',
    });
  });
});
