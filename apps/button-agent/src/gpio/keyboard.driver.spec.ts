import { PassThrough } from 'node:stream';
import { ButtonConfig } from '../config/agent-config';
import { ButtonEdge } from './button-input';
import { capturedLog } from './fixtures/captured-log';
import { waitUntil } from './fixtures/wait-until';
import { KeyboardDriver, buttonNamedBy, keyboardProbe } from './keyboard.driver';

const BUTTONS: ButtonConfig[] = [
  { pin: 17, type: 'panic', label: null },
  { pin: 27, type: 'fire', label: 'Cuisine' },
  { pin: 22, type: 'medical', label: 'fire' },
];

describe('KeyboardDriver', () => {
  it('presses the first button on an empty line, or the button a line names', async () => {
    const input = new PassThrough();
    const { logger, lines } = capturedLog();
    const driver = new KeyboardDriver(BUTTONS, logger, input);
    const edges: ButtonEdge[] = [];
    await driver.start([17, 27, 22], (edge) => edges.push(edge));

    input.write('\n  \n27\nCUISINE\n Panic \nmedical\nfire\n');
    await waitUntil(() => edges.length === 7, 'seven presses');
    expect(edges.map(({ pin, kind }) => [pin, kind])).toEqual([
      [17, 'press'],
      [17, 'press'],
      [27, 'press'],
      [27, 'press'],
      [17, 'press'],
      [22, 'press'],
      [22, 'press'], // a label names one button; it wins over a type
    ]);

    input.write('smoke\n');
    await waitUntil(() => lines.some((line) => line.code === 'KEYBOARD_UNKNOWN_BUTTON'), 'the warning');
    expect(lines.find((line) => line.code === 'KEYBOARD_UNKNOWN_BUTTON')).toMatchObject({
      level: 40,
      input: 'smoke',
      valid: ['(empty line)', '17', 'panic', '27', 'fire', 'Cuisine', '22', 'medical'],
    });
    expect(edges).toHaveLength(7);

    input.end();
    await waitUntil(() => lines.some((line) => /end of input/.test(line.msg)), 'the end of input');
    await driver.stop();
  });

  it('watches only the pins it was started with; stop() ends the reading', async () => {
    const input = new PassThrough();
    const driver = new KeyboardDriver(BUTTONS, capturedLog().logger, input);
    const edges: ButtonEdge[] = [];
    await driver.start([27], (edge) => edges.push(edge));
    input.write('\n17\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await driver.stop();
    input.write('\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(edges.map(({ pin }) => pin)).toEqual([27]);
  });

  it('matches pins exactly, labels and types without regard to case', () => {
    expect(buttonNamedBy('017', BUTTONS)).toBeNull();
    expect(buttonNamedBy('cuisine', BUTTONS)?.pin).toBe(27);
    expect(buttonNamedBy('', [])).toBeNull();
  });

  it('is offered to auto only at a terminal', async () => {
    await expect(
      keyboardProbe(Object.assign(new PassThrough(), { isTTY: true })).available(),
    ).resolves.toMatchObject({ ok: true });
    await expect(keyboardProbe(new PassThrough()).available()).resolves.toMatchObject({ ok: false });
  });
});
