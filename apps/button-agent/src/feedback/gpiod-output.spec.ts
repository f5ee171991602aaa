import { isAlive } from '../gpio/fixtures/fake-gpio-tools';
import { capturedLog } from '../gpio/fixtures/captured-log';
import { waitUntil } from '../gpio/fixtures/wait-until';
import { GpioUnavailableError } from '../gpio/gpio-unavailable.error';
import { RestartPolicy } from '../gpio/gpiomon-process';
import { ShownState } from './feedback-output';
import { FakeClock } from './fixtures/fake-clock';
import { FakeGpiosetScenario, FakeGpiosetTools } from './fixtures/fake-gpioset-tools';
import { GpiodOutput, gpiodOutputProbe } from './gpiod-output';
import { OutputPins } from './line-writer';

const LINES: FakeGpiosetScenario['lines'] = { GPIO18: ['gpiochip0', 18], GPIO23: ['gpiochip0', 23] };
const PINS: OutputPins = { led: 18, buzzer: 23 };
const FAST: RestartPolicy = { initialMs: 20, maxMs: 50, stableAfterMs: 10_000 };
const acknowledged: ShownState = { state: 'acknowledged', alertId: '0190abcd', sound: true };

describe('GpiodOutput against a fake gpioset', () => {
  let tools: FakeGpiosetTools | null = null;
  let output: GpiodOutput | null = null;

  function setup(scenario: FakeGpiosetScenario, pins: OutputPins = PINS) {
    tools = new FakeGpiosetTools(scenario);
    const log = capturedLog();
    const clock = new FakeClock();
    output = new GpiodOutput(pins, log.logger, {
      commands: tools.commands,
      restart: FAST,
      readyAfterMs: 300, // the fake is node: it needs longer than gpioset to come up
      timers: clock,
    });
    return { tools, output, log, clock };
  }

  /** What each run of a line was asked to hold, and how it ended. */
  const held = (tools: FakeGpiosetTools, line: string) =>
    tools.runs(line).map((run) => [run.args.join(' '), run.ended]);

  afterEach(async () => {
    await output?.stop();
    tools?.remove();
    output = tools = null;
  });

  it('v2: holds each line low by name, one gpioset per level, SIGTERM to let go, none left', async () => {
    const { tools, output, clock } = setup({ version: '2.2.1', lines: LINES });
    await output.start();
    output.show(acknowledged);
    await waitUntil(() => tools.runs('GPIO18').length === 2 && tools.runs('GPIO23').length === 2, 'level 1');
    clock.advance(1500); // the long beep ends
    await waitUntil(() => tools.runs('GPIO23').length === 3, 'buzzer back to 0');
    const pids = output.pids;
    await output.stop();

    expect(held(tools, 'GPIO18')).toEqual([
      ['--consumer=vigie-led --by-name GPIO18=0', 'SIGTERM'],
      ['--consumer=vigie-led --by-name GPIO18=1', 'SIGTERM'],
      ['--consumer=vigie-led --by-name GPIO18=0', 'SIGTERM'], // off before letting go
    ]);
    expect(held(tools, 'GPIO23')).toEqual([
      ['--consumer=vigie-buzzer --by-name GPIO23=0', 'SIGTERM'],
      ['--consumer=vigie-buzzer --by-name GPIO23=1', 'SIGTERM'],
      ['--consumer=vigie-buzzer --by-name GPIO23=0', 'SIGTERM'],
    ]);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('v1: chip and offset found with gpiofind, --mode=wait let go by closing stdin', async () => {
    const { tools, output } = setup({ version: '1.6.3', lines: LINES }, { led: 18, buzzer: null });
    await output.start();
    output.show({ state: 'stored', alertId: '0190abcd', sound: false });
    await waitUntil(() => tools.runs('18').length === 2, 'led on');
    await output.stop();

    expect(held(tools, '18')).toEqual([
      ['--mode=wait gpiochip0 18=0', 'stdin'],
      ['--mode=wait gpiochip0 18=1', 'stdin'],
      ['--mode=wait gpiochip0 18=0', 'stdin'],
    ]);
    expect(tools.runs('23')).toEqual([]); // no buzzer wired: no gpioset for it
  });

  it('level changes faster than gpioset restarts go straight to the latest level', async () => {
    const { tools, output } = setup({ version: '2.2.1', lines: LINES }, { led: 18, buzzer: null });
    await output.start();
    output.show(acknowledged); // on
    output.show({ state: 'idle', alertId: null, sound: false }); // off
    output.show(acknowledged); // on again, before the first gpioset has even let go
    await waitUntil(() => tools.runs('GPIO18').length === 2, 'the light on');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tools.runs('GPIO18').map((run) => run.args.at(-1))).toEqual(['GPIO18=0', 'GPIO18=1']);
  });

  it('a gpioset that dies is logged as GPIOSET_EXITED and started again at the current level', async () => {
    const busy = 'gpioset: unable to request lines: Device or resource busy\n';
    const { tools, output, log } = setup({
      version: '2.2.1',
      lines: LINES,
      runs: { GPIO18: [[], [{ err: busy }, { exit: 1 }], [{ err: busy }, { exit: 1 }], []] },
    });
    await output.start();
    output.show(acknowledged);
    await waitUntil(() => tools.runs('GPIO18').length === 4, 'two restarts');

    const exits = log.lines.filter((line) => line.code === 'GPIOSET_EXITED');
    expect(
      exits.map(({ output, line, exitCode, stderr, restartInMs }) => ({
        output,
        line,
        exitCode,
        stderr,
        restartInMs,
      })),
    ).toEqual([
      { output: 'led', line: 'GPIO18', exitCode: 1, stderr: busy.trim(), restartInMs: 20 },
      { output: 'led', line: 'GPIO18', exitCode: 1, stderr: busy.trim(), restartInMs: 40 },
    ]);
    expect(tools.runs('GPIO18').map((run) => run.args.at(-1))).toEqual([
      'GPIO18=0',
      'GPIO18=1',
      'GPIO18=1',
      'GPIO18=1',
    ]);
    expect(tools.runs('GPIO18')[3].ended).toBeNull(); // the last one holds
  });

  it('start fails with GPIOSET_START_FAILED and gpioset words when it cannot hold a line; nothing left running', async () => {
    const { tools, output } = setup({
      version: '2.2.1',
      lines: LINES,
      runs: { GPIO23: [[{ err: 'gpioset: unable to request lines: Permission denied\n' }, { exit: 1 }]] },
    });
    const failure = output.start();
    await expect(failure).rejects.toThrow(GpioUnavailableError);
    await expect(failure).rejects.toMatchObject({
      code: 'GPIOSET_START_FAILED',
      message: 'gpioset could not hold GPIO23 (buzzer): gpioset: unable to request lines: Permission denied',
    });
    expect(tools.runs('GPIO18').map((run) => run.ended)).toEqual(['SIGTERM']);
    expect(tools.runs('GPIO23')).toHaveLength(1);
  });

  it('the agent exit kills every gpioset, even without stop()', async () => {
    const { output } = setup({ version: '2.2.1', lines: LINES });
    const before = process.listeners('exit').length;
    await output.start();
    const pids = output.pids;
    const onExit = process.listeners('exit').slice(before);
    expect(onExit).toHaveLength(1);
    (onExit[0] as () => void)();
    await waitUntil(() => pids.every((pid) => !isAlive(pid)), 'gpiosets killed');
    await output.stop();
    expect(process.listeners('exit')).toHaveLength(before);
  });

  it('lines are found by name as for the buttons; a missing one names the output settings', async () => {
    tools = new FakeGpiosetTools({ version: '2.2.1', lines: LINES });
    await expect(gpiodOutputProbe(PINS, tools.commands).available()).resolves.toEqual({
      ok: true,
      detail: 'gpioset v2.2.1, led GPIO18 on gpiochip0 line 18, buzzer GPIO23 on gpiochip0 line 23',
    });
    await expect(gpiodOutputProbe({ led: 5, buzzer: null }, tools.commands).available()).resolves.toEqual({
      ok: false,
      code: 'GPIO_LINE_NOT_FOUND',
      reason: expect.stringContaining('check the BCM pin numbers in VIGIE_LED_PIN / VIGIE_BUZZER_PIN'),
    });
    const missing = { ...tools.commands, gpioset: '/nonexistent/gpioset' };
    await expect(gpiodOutputProbe(PINS, missing).available()).resolves.toMatchObject({
      ok: false,
      code: 'GPIO_UNAVAILABLE',
      reason: 'gpioset not found: install the gpiod package (apt install gpiod)',
    });
  });
});
