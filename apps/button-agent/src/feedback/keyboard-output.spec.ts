import { FeedbackState, ShownState } from './feedback-output';
import { KeyboardOutput, TerminalStream } from './keyboard-output';

function terminal(isTTY: boolean): TerminalStream & { text: string } {
  const stream = {
    isTTY,
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

const ALERT = '0190a4b2-7c1d-7e3f-9a8b-1c2d3e4f5a6b';
const shown = (state: FeedbackState, sound: boolean, alertId: string | null = ALERT): ShownState => ({
  state,
  alertId,
  sound,
});

describe('KeyboardOutput', () => {
  it('prints one human line per state, and the buzzer when it sounds', async () => {
    const screen = terminal(true);
    const output = new KeyboardOutput(screen);
    await output.start();
    output.show(shown('spooled', true));
    output.show(shown('stored', true));
    output.show(shown('acknowledged', true));
    output.show(shown('resolved', true));
    output.show(shown('unreachable', false, null));
    output.show(shown('idle', false, null));
    await output.stop();
    expect(screen.text.split('\n')).toEqual([
      '[light] spooled: slow blink (alert 0190a4b2…)',
      '[light] stored: fast blink (alert 0190a4b2…)',
      '[buzzer] short beep',
      '[light] acknowledged: steady on (alert 0190a4b2…)',
      '[buzzer] long beep',
      '[light] resolved: off (alert 0190a4b2…)',
      '[light] unreachable: double blink every 5 s',
      '[light] idle: off',
      '',
    ]);
  });

  it('a silent alert prints no buzzer line', () => {
    const screen = terminal(true);
    new KeyboardOutput(screen).show(shown('acknowledged', false));
    expect(screen.text).toBe('[light] acknowledged: steady on (alert 0190a4b2…)\n');
  });

  it('prints nothing when no one looks (not a terminal): the log line says it already', () => {
    const screen = terminal(false);
    new KeyboardOutput(screen).show(shown('acknowledged', true));
    expect(screen.text).toBe('');
  });

  it('writes to stderr by default, never to stdout (the JSON log lines)', () => {
    const output = new KeyboardOutput() as unknown as { terminal: unknown };
    expect(output.terminal).toBe(process.stderr);
  });
});
