import { capturedLog } from '../gpio/fixtures/captured-log';
import { FakeSysfs } from '../gpio/fixtures/fake-sysfs';
import { rpiGpioOnFakeSysfs } from '../gpio/fixtures/rpi-gpio-on-fake-sysfs';
import { FakeGpiosetTools } from './fixtures/fake-gpioset-tools';
import { GpiodOutput } from './gpiod-output';
import { KeyboardOutput } from './keyboard-output';
import { RpiGpioOutput } from './rpi-gpio-output';
import { FeedbackSelectionOptions, createFeedbackOutput } from './select-feedback-output';

const WIRED = { ledPin: 18, buzzerPin: 23 };
const NONE = { ledPin: null, buzzerPin: null };

describe('createFeedbackOutput', () => {
  let tools: FakeGpiosetTools | null = null;
  let sysfs: FakeSysfs | null = null;

  /** gpiod works when `gpiodWorks`, sysfs always (numbered from 0). */
  function systemWith(gpiodWorks: boolean): FeedbackSelectionOptions {
    tools = new FakeGpiosetTools({
      version: '2.2.1',
      lines: { GPIO18: ['gpiochip0', 18], GPIO23: ['gpiochip0', 23] },
    });
    sysfs = new FakeSysfs();
    const commands = gpiodWorks ? tools.commands : { ...tools.commands, gpioset: '/nonexistent/gpioset' };
    return {
      gpiod: { commands },
      rpiGpio: { gpioDir: sysfs.gpioDir, files: sysfs.files, loadModule: rpiGpioOnFakeSysfs(sysfs) },
    };
  }

  afterEach(() => {
    tools?.remove();
    sysfs?.remove();
    tools = sysfs = null;
  });

  it('follows the buttons: gpiod, rpi-gpio, keyboard', async () => {
    const { logger } = capturedLog();
    const options = systemWith(true);
    expect(await createFeedbackOutput(WIRED, 'gpiod', logger, options)).toBeInstanceOf(GpiodOutput);
    expect(await createFeedbackOutput(WIRED, 'rpi-gpio', logger, options)).toBeInstanceOf(RpiGpioOutput);
    expect(await createFeedbackOutput(WIRED, 'keyboard', logger, options)).toBeInstanceOf(KeyboardOutput);
  });

  it('auto takes gpiod first, rpi-gpio when gpioset is missing, and logs why', async () => {
    const first = capturedLog();
    expect(await createFeedbackOutput(WIRED, 'auto', first.logger, systemWith(true))).toBeInstanceOf(
      GpiodOutput,
    );
    tools?.remove();
    sysfs?.remove();
    const second = capturedLog();
    expect(await createFeedbackOutput(WIRED, 'auto', second.logger, systemWith(false))).toBeInstanceOf(
      RpiGpioOutput,
    );
    expect(second.lines.find((line) => line.driver === 'rpi-gpio')).toMatchObject({
      choice: 'auto',
      skipped: { gpiod: { code: 'GPIO_UNAVAILABLE', reason: expect.stringContaining('gpioset not found') } },
    });
  });

  it('no pin set: nothing on GPIO; the terminal still prints with the keyboard driver (and auto)', async () => {
    const { logger } = capturedLog();
    const options = systemWith(true);
    expect(await createFeedbackOutput(NONE, 'gpiod', logger, options)).toBeNull();
    expect(await createFeedbackOutput(NONE, 'rpi-gpio', logger, options)).toBeNull();
    expect(await createFeedbackOutput(NONE, 'keyboard', logger, options)).toBeInstanceOf(KeyboardOutput);
    expect(await createFeedbackOutput(NONE, 'auto', logger, options)).toBeInstanceOf(KeyboardOutput);
  });

  it('a named driver that cannot work gives null and FEEDBACK_UNAVAILABLE, never an exception', async () => {
    const { logger, lines } = capturedLog();
    const output = await createFeedbackOutput(
      { ledPin: 5, buzzerPin: null },
      'gpiod',
      logger,
      systemWith(true),
    );
    expect(output).toBeNull();
    expect(lines.at(-1)).toMatchObject({
      code: 'FEEDBACK_UNAVAILABLE',
      meaning: expect.any(String),
      check: expect.any(String),
      skipped: { gpiod: { code: 'GPIO_LINE_NOT_FOUND' } },
    });
  });
});
