import { ButtonEdge } from './button-input';
import { capturedLog } from './fixtures/captured-log';
import { FakeGpioScenario, FakeGpioTools, isAlive } from './fixtures/fake-gpio-tools';
import { waitUntil } from './fixtures/wait-until';
import { GpioUnavailableError } from './gpio-unavailable.error';
import { GpiodDriver, gpiodProbe } from './gpiod.driver';
import { RestartPolicy } from './gpiomon-process';

const LINES: FakeGpioScenario['lines'] = { GPIO17: ['gpiochip0', 17], GPIO27: ['gpiochip0', 27] };
const BANNER = { out: "Monitoring lines 'GPIO17' and 'GPIO27'...\n" };
const FAST: RestartPolicy = { initialMs: 20, maxMs: 50, stableAfterMs: 10_000 };

describe('GpiodDriver against a fake gpiomon', () => {
  let tools: FakeGpioTools | null = null;
  let driver: GpiodDriver | null = null;

  function setup(scenario: FakeGpioScenario, restart: RestartPolicy = FAST) {
    tools = new FakeGpioTools(scenario);
    const log = capturedLog();
    driver = new GpiodDriver(log.logger, { commands: tools.commands, restart, v1ReadyAfterMs: 100 });
    const edges: ButtonEdge[] = [];
    return { tools, driver, log, edges, onEdge: (edge: ButtonEdge) => edges.push(edge) };
  }

  afterEach(async () => {
    await driver?.stop();
    tools?.remove();
    driver = tools = null;
  });

  it('v2: reads edges, restarts gpiomon when it dies, logs GPIOMON_EXITED, stops for good', async () => {
    const { tools, driver, log, edges, onEdge } = setup({
      version: '2.2.1',
      lines: LINES,
      runs: [
        [
          BANNER,
          { out: 'vigie falling {mono} GPIO17\nsomething gpiomon never says\n' },
          { err: 'gpiomon: error reading line events: No such device\n' },
          { exit: 2 },
        ],
        [
          BANNER,
          { out: 'vigie rising {mono} GPIO17\nvigie fall' },
          { sleep: 30 },
          { out: 'ing {mono} GPIO27\nvigie rising {mono} GPIO27\n' },
        ],
      ],
    });
    const before = performance.now();
    await driver.start([17, 27], onEdge);
    await waitUntil(() => edges.length >= 5, 'edges from both runs');

    expect(edges.map(({ pin, kind }) => [pin, kind])).toEqual([
      [17, 'down'],
      [17, 'up'], // gpiomon died with the button last seen down: reported released
      [17, 'up'],
      [27, 'down'],
      [27, 'up'],
    ]);
    for (const edge of edges) {
      expect(edge.at).toBeGreaterThanOrEqual(before);
      expect(edge.at).toBeLessThanOrEqual(performance.now());
    }
    expect(edges[4].at).toBeGreaterThanOrEqual(edges[3].at);
    const exited = log.lines.find((line) => line.code === 'GPIOMON_EXITED');
    expect(exited).toMatchObject({ level: 50, exitCode: 2, signal: null, restartInMs: 20 });
    expect(exited?.stderr).toContain('No such device');
    expect(log.lines.find((line) => line.code === 'GPIOMON_OUTPUT_UNEXPECTED')).toMatchObject({
      line: 'something gpiomon never says',
    });
    const runs = tools.runs();
    expect(runs).toHaveLength(2);
    expect(runs[1].args).toEqual([
      '--banner',
      '--bias=pull-up',
      '--edges=both',
      '--format=vigie %E %S %l',
      '--by-name',
      'GPIO17',
      'GPIO27',
    ]);

    await driver.stop();
    expect(isAlive(runs[1].pid)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tools.runs()).toHaveLength(2);
    expect(log.lines.filter((line) => line.code === 'GPIOMON_EXITED')).toHaveLength(1);
  });

  it('v1: finds the chip with gpiofind, passes offsets, maps kernel timestamps to agent time', async () => {
    const { tools, driver, edges, onEdge } = setup({
      version: '1.6.3',
      lines: LINES,
      runs: [[{ sleep: 150 }, { out: 'vigie 27 0 {mono_s} {mono_ns}\nvigie 27 1 {mono_s} {mono_ns}\n' }]],
    });
    await driver.start([17, 27], onEdge);
    await waitUntil(() => edges.length === 2, 'two edges');
    expect(edges.map(({ pin, kind }) => [pin, kind])).toEqual([
      [27, 'down'],
      [27, 'up'],
    ]);
    // Stamped by the fake on CLOCK_MONOTONIC just before printing: within a few ms of receipt.
    expect(performance.now() - edges[0].at).toBeLessThan(1000);
    expect(edges[1].at).toBeGreaterThanOrEqual(edges[0].at);
    expect(tools.runs()[0].args).toEqual([
      '--line-buffered',
      '--bias=pull-up',
      '--format=vigie %o %e %s %n',
      'gpiochip0',
      '17',
      '27',
    ]);
  });

  it('rejects start with gpiomon’s own words when it cannot request the lines, and does not retry', async () => {
    const { tools, driver, onEdge } = setup({
      version: '2.2.1',
      lines: LINES,
      runs: [
        [
          { err: 'gpiomon: unable to request lines on chip /dev/gpiochip0: Device or resource busy\n' },
          { exit: 1 },
        ],
      ],
    });
    const failure = driver.start([17], onEdge);
    await expect(failure).rejects.toBeInstanceOf(GpioUnavailableError);
    await expect(failure).rejects.toMatchObject({
      code: 'GPIOMON_START_FAILED',
      message: expect.stringContaining('Device or resource busy'),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tools.runs()).toHaveLength(1);
  });

  it('doubles the wait between deaths in a row up to the maximum', async () => {
    const { driver, log, onEdge } = setup({ version: '2.2.1', lines: LINES, runs: [[BANNER, { exit: 1 }]] });
    await driver.start([17], onEdge);
    await waitUntil(
      () => log.lines.filter((line) => line.code === 'GPIOMON_EXITED').length >= 4,
      'four deaths',
    );
    await driver.stop();
    const waits = log.lines.filter((line) => line.code === 'GPIOMON_EXITED').map((line) => line.restartInMs);
    expect(waits.slice(0, 4)).toEqual([20, 40, 50, 50]);
  });

  it('starts again from the first wait after a stable run', async () => {
    const stable = { ...FAST, stableAfterMs: 1 };
    const { driver, log, onEdge } = setup(
      { version: '2.2.1', lines: LINES, runs: [[BANNER, { exit: 1 }]] },
      stable,
    );
    await driver.start([17], onEdge);
    await waitUntil(
      () => log.lines.filter((line) => line.code === 'GPIOMON_EXITED').length >= 3,
      'three deaths',
    );
    await driver.stop();
    const waits = log.lines.filter((line) => line.code === 'GPIOMON_EXITED').map((line) => line.restartInMs);
    expect(waits.slice(0, 3)).toEqual([20, 20, 20]);
  });
});

describe('gpiodProbe', () => {
  let tools: FakeGpioTools | null = null;
  afterEach(() => tools?.remove());

  it('names the version and where each line is (v2 through gpioinfo)', async () => {
    tools = new FakeGpioTools({ version: '2.2.1', lines: { GPIO17: ['gpiochip0', 17] }, runs: [] });
    await expect(gpiodProbe([17], tools.commands).available()).resolves.toEqual({
      ok: true,
      detail: 'gpiomon v2.2.1, GPIO17 on gpiochip0 line 17',
    });
  });

  it('finds lines on another chip by name (v1 through gpiofind, Pi 5 on an older kernel)', async () => {
    tools = new FakeGpioTools({ version: '1.6.3', lines: { GPIO17: ['gpiochip4', 17] }, runs: [] });
    await expect(gpiodProbe([17], tools.commands).available()).resolves.toEqual({
      ok: true,
      detail: 'gpiomon v1.6.3, GPIO17 on gpiochip4 line 17',
    });
  });

  it('says which line is missing, with its code', async () => {
    tools = new FakeGpioTools({ version: '2.2.1', lines: { GPIO17: ['gpiochip0', 17] }, runs: [] });
    const result = await gpiodProbe([17, 99], tools.commands).available();
    expect(result).toMatchObject({ ok: false, code: 'GPIO_LINE_NOT_FOUND' });
    expect(!result.ok && result.reason).toContain('GPIO99');
  });

  it('says to install gpiod when gpiomon is missing, and refuses a libgpiod too old', async () => {
    const missing = { gpiomon: '/nonexistent/gpiomon', gpiofind: '/nonexistent/gpiofind', gpioinfo: '/x' };
    await expect(gpiodProbe([17], missing).available()).resolves.toMatchObject({
      ok: false,
      reason: expect.stringContaining('apt install gpiod'),
    });
    tools = new FakeGpioTools({ version: '1.2.1', lines: {}, runs: [] });
    await expect(gpiodProbe([17], tools.commands).available()).resolves.toMatchObject({
      ok: false,
      reason: expect.stringContaining('v1.6 or newer'),
    });
  });
});
