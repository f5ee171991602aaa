import { setTimeout as sleep } from 'node:timers/promises';
import { AgentConfig } from '../config/agent-config';
import { createFeedbackOutput, FeedbackSelectionOptions } from '../feedback/select-feedback-output';
import { AgentLogger } from '../logging/agent-logger';
import { CheckResult, failure } from './doctor-checks';

/** How long `doctor --blink` keeps the light on: long enough to see from the technician's place. */
export const BLINK_MS = 1000;

/** What the button will show and how: the light, the buzzer, the silent types, the press pattern. */
export function feedbackLine(config: AgentConfig): CheckResult {
  const pin = (value: number | null) => (value === null ? 'none' : `GPIO${value}`);
  const silent = config.silentTypes.length > 0 ? config.silentTypes.join(',') : 'none';
  const pattern =
    config.presses === 1
      ? 'one press alerts'
      : `${config.presses} presses within ${config.pressWindowMs} ms alert`;
  return {
    step: 'feedback',
    ok: true,
    detail: `light ${pin(config.ledPin)}, buzzer ${pin(config.buzzerPin)}, silent for ${silent}, ${pattern}`,
  };
}

/**
 * `doctor --blink`: lights the status light once, through the driver `run` would use, so that a
 * technician can check the wiring. The buzzer stays quiet.
 */
export async function blinkOnce(
  config: AgentConfig,
  logger: AgentLogger,
  options: FeedbackSelectionOptions = {},
): Promise<CheckResult> {
  if (config.ledPin === null) {
    return {
      step: 'blink',
      ok: false,
      detail: 'not tried: VIGIE_LED_PIN is not set, there is no light to blink',
    };
  }
  const output = await createFeedbackOutput(config, config.gpioDriver, logger, options);
  if (!output) return failure('blink', 'FEEDBACK_UNAVAILABLE', `GPIO${config.ledPin}`);
  if (output.name === 'keyboard') {
    return {
      step: 'blink',
      ok: true,
      detail: 'keyboard driver: no light is driven, the terminal shows the states',
    };
  }
  try {
    await output.start();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return failure(
      'blink',
      typeof code === 'string' ? code : 'FEEDBACK_UNAVAILABLE',
      (error as Error).message,
    );
  }
  output.show({ state: 'acknowledged', alertId: null, sound: false });
  await sleep(BLINK_MS);
  await output.stop();
  return {
    step: 'blink',
    ok: true,
    detail: `the light on GPIO${config.ledPin} (${output.name}) was on for ${BLINK_MS / 1000} s: it should have lit`,
  };
}
