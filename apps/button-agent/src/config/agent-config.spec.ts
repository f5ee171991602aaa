import { ConfigError, loadAgentConfig } from './agent-config';

/** The least an agent needs, so each test names only the variables it is about. */
const base = { VIGIE_SERVER_URL: 'http://192.168.1.10:3000' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAgentConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadAgentConfig: press pattern and feedback settings', () => {
  it('applies the contract defaults: every press alerts, panic and intrusion silent, no light or buzzer', () => {
    expect(loadAgentConfig(base)).toMatchObject({
      presses: 1,
      pressWindowMs: 1500,
      silentTypes: ['panic', 'intrusion'],
      ledPin: null,
      buzzerPin: null,
    });
  });

  it('reads every variable', () => {
    const config = loadAgentConfig({
      ...base,
      VIGIE_BUTTONS: '17:panic,27:fire',
      VIGIE_PRESSES: '3',
      VIGIE_PRESS_WINDOW_MS: '2000',
      VIGIE_SILENT_TYPES: ' panic , medical',
      VIGIE_LED_PIN: '22',
      VIGIE_BUZZER_PIN: '0',
    });
    expect(config).toMatchObject({
      presses: 3,
      pressWindowMs: 2000,
      silentTypes: ['panic', 'medical'],
      ledPin: 22,
      buzzerPin: 0,
    });
  });

  it('takes VIGIE_SILENT_TYPES=none as no silent type (the buzzer sounds for all)', () => {
    expect(loadAgentConfig({ ...base, VIGIE_SILENT_TYPES: 'none' }).silentTypes).toEqual([]);
  });

  it('accepts the bounds of the ranges', () => {
    for (const [presses, windowMs, pin] of [
      ['1', '200', '0'],
      ['10', '10000', '53'],
    ]) {
      expect(
        problemsOf({ VIGIE_PRESSES: presses, VIGIE_PRESS_WINDOW_MS: windowMs, VIGIE_LED_PIN: pin }),
      ).toEqual([]);
    }
  });

  it.each([
    ['VIGIE_PRESSES', '0', 'expected a whole number from 1 to 10'],
    ['VIGIE_PRESSES', '11', 'expected a whole number from 1 to 10'],
    ['VIGIE_PRESSES', '2.5', 'expected a whole number from 1 to 10'],
    ['VIGIE_PRESSES', 'three', 'expected a whole number from 1 to 10'],
    ['VIGIE_PRESS_WINDOW_MS', '199', 'expected a whole number from 200 to 10000'],
    ['VIGIE_PRESS_WINDOW_MS', '10001', 'expected a whole number from 200 to 10000'],
    ['VIGIE_PRESS_WINDOW_MS', '1.5s', 'expected a whole number from 200 to 10000'],
    [
      'VIGIE_SILENT_TYPES',
      'panic,theft',
      '"theft": expected alert types among fire, intrusion, medical, panic, test, or none',
    ],
    ['VIGIE_SILENT_TYPES', 'panic,', '"": expected alert types among'],
    ['VIGIE_SILENT_TYPES', 'Panic', '"Panic": expected alert types among'],
    ['VIGIE_SILENT_TYPES', 'panic,panic', 'panic is listed twice'],
    ['VIGIE_LED_PIN', '54', 'expected a BCM GPIO number from 0 to 53'],
    ['VIGIE_LED_PIN', '-1', 'expected a BCM GPIO number from 0 to 53'],
    ['VIGIE_LED_PIN', 'GPIO22', 'expected a BCM GPIO number from 0 to 53'],
    ['VIGIE_BUZZER_PIN', '100', 'expected a BCM GPIO number from 0 to 53'],
    ['VIGIE_BUZZER_PIN', '2 3', 'expected a BCM GPIO number from 0 to 53'],
  ])('refuses %s=%j, naming the variable and what it accepts', (name, value, expected) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`invalid configuration: ${name}=${JSON.stringify(value)}: `);
    expect(problems[0]).toContain(expected);
  });

  it.each([
    ['VIGIE_LED_PIN', '27'],
    ['VIGIE_BUZZER_PIN', '17'],
  ])('refuses %s=%s on a button pin', (name, pin) => {
    expect(problemsOf({ VIGIE_BUTTONS: '17:panic,27:fire', [name]: pin })).toEqual([
      `invalid configuration: ${name}=${pin} is a button's pin in VIGIE_BUTTONS: expected a pin of its own`,
    ]);
  });

  it("refuses an output on the default button's pin when VIGIE_BUTTONS is unset", () => {
    expect(problemsOf({ VIGIE_LED_PIN: '17' })).toHaveLength(1);
  });

  it("still names a button's bad pin as before (the BCM check is shared)", () => {
    expect(problemsOf({ VIGIE_BUTTONS: '17:panic,60:fire' })).toEqual([
      'invalid configuration: VIGIE_BUTTONS="17:panic,60:fire": "60:fire": the pin must be a BCM GPIO number from 0 to 53',
    ]);
  });

  it('refuses the light and the buzzer on one pin', () => {
    expect(problemsOf({ VIGIE_LED_PIN: '22', VIGIE_BUZZER_PIN: '22' })).toEqual([
      'invalid configuration: VIGIE_LED_PIN and VIGIE_BUZZER_PIN are both 22: expected a pin for each',
    ]);
  });

  it('reports every bad variable at once', () => {
    expect(
      problemsOf({ VIGIE_PRESSES: '0', VIGIE_PRESS_WINDOW_MS: '50', VIGIE_SILENT_TYPES: 'x' }),
    ).toHaveLength(3);
  });
});
