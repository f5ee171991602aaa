import { AgentConfig, GpioDriverName } from '../config/agent-config';
import { describeCode } from '../diagnostics/error-codes';
import { DriverProbe } from '../gpio/button-input';
import { AgentLogger } from '../logging/agent-logger';
import { FeedbackOutput } from './feedback-output';
import { GpiodOutput, GpiodOutputOptions, gpiodOutputProbe } from './gpiod-output';
import { KeyboardOutput, TerminalStream } from './keyboard-output';
import { OutputPins, wiredOutputs } from './line-writer';
import { RpiGpioOutput, RpiGpioOutputOptions, rpiGpioOutputProbe } from './rpi-gpio-output';

/** Everything the output drivers need; the defaults are the real system (tests replace them). */
export interface FeedbackSelectionOptions {
  gpiod?: GpiodOutputOptions;
  rpiGpio?: RpiGpioOutputOptions;
  terminal?: TerminalStream;
}

type GpioOutputDriver = 'gpiod' | 'rpi-gpio';

/** As for the buttons: the character device first, sysfs where it still works. */
const AUTO_ORDER: readonly GpioOutputDriver[] = ['gpiod', 'rpi-gpio'];

export function outputPinsOf(config: Pick<AgentConfig, 'ledPin' | 'buzzerPin'>): OutputPins {
  return { led: config.ledPin, buzzer: config.buzzerPin };
}

/** One probe per GPIO output driver, for `auto` and `doctor`. */
export function feedbackProbes(
  pins: OutputPins,
  options: FeedbackSelectionOptions = {},
): Record<GpioOutputDriver, DriverProbe> {
  return {
    gpiod: gpiodOutputProbe(pins, options.gpiod?.commands),
    'rpi-gpio': rpiGpioOutputProbe(pins, options.rpiGpio),
  };
}

/**
 * Where the button shows its state, in the driver family of the buttons: `driver` is the name
 * of the button driver in use (`gpiod`, `rpi-gpio`, `keyboard`), or VIGIE_GPIO_DRIVER itself
 * (`auto` too) when the buttons are not open yet.
 * - `keyboard`: the terminal (the lab has no light); the pins, if any, are not driven.
 * - no VIGIE_LED_PIN nor VIGIE_BUZZER_PIN: nothing on GPIO; the terminal under `auto` (it prints
 *   only at a terminal), else null.
 * - `gpiod` / `rpi-gpio`: that driver once its probe passes; `auto` takes the first that does.
 * Never throws: the light is a help, not a condition for an alert. When no driver works it logs
 * FEEDBACK_UNAVAILABLE with each driver's reason and returns null. The output is not started:
 * the caller starts it (start() can still reject, e.g. GPIOSET_START_FAILED) and stops it.
 */
export async function createFeedbackOutput(
  config: Pick<AgentConfig, 'ledPin' | 'buzzerPin'>,
  driver: GpioDriverName,
  logger: AgentLogger,
  options: FeedbackSelectionOptions = {},
): Promise<FeedbackOutput | null> {
  const pins = outputPinsOf(config);
  const wired = wiredOutputs(pins);
  if (driver === 'keyboard') {
    if (wired.length > 0)
      logger.info(
        { driver, outputs: wired },
        'feedback: keyboard driver, the light and buzzer pins are not driven',
      );
    return new KeyboardOutput(options.terminal);
  }
  if (wired.length === 0) return driver === 'auto' ? new KeyboardOutput(options.terminal) : null;

  const probes = feedbackProbes(pins, options);
  const candidates = driver === 'auto' ? AUTO_ORDER : [driver];
  const skipped: Partial<Record<GpioOutputDriver, { reason: string; code?: string }>> = {};
  for (const candidate of candidates) {
    const result = await probes[candidate].available();
    if (result.ok) {
      logger.info(
        {
          driver: candidate,
          choice: driver === 'auto' ? 'auto' : 'configured',
          detail: result.detail,
          skipped,
        },
        `feedback output: ${candidate}`,
      );
      return candidate === 'gpiod'
        ? new GpiodOutput(pins, logger, options.gpiod)
        : new RpiGpioOutput(pins, logger, options.rpiGpio);
    }
    skipped[candidate] = { reason: result.reason, ...(result.code ? { code: result.code } : {}) };
  }
  const { meaning, check } = describeCode('FEEDBACK_UNAVAILABLE');
  logger.warn(
    { code: 'FEEDBACK_UNAVAILABLE', meaning, check, driver, outputs: wired, skipped },
    'feedback: no driver can drive the status light and buzzer; alerts still go out',
  );
  return null;
}
