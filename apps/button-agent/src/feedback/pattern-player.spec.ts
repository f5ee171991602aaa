import { FeedbackState, ShownState } from './feedback-output';
import { FakeClock } from './fixtures/fake-clock';
import { Level, OutputLine } from './line-writer';
import { PatternPlayer } from './pattern-player';

type Change = [at: number, line: OutputLine, level: Level];

function setup() {
  const clock = new FakeClock();
  const changes: Change[] = [];
  const player = new PatternPlayer({ set: (line, level) => changes.push([clock.now, line, level]) }, clock);
  return { clock, changes, player };
}

const shown = (state: FeedbackState, sound = true): ShownState => ({
  state,
  alertId: state === 'idle' || state === 'unreachable' ? null : '0190abcd',
  sound,
});

describe('PatternPlayer on a fake clock', () => {
  it('spooled: slow blink, 500 ms on, 500 ms off, no buzzer', () => {
    const { clock, changes, player } = setup();
    player.show(shown('spooled'));
    clock.advance(2000);
    expect(changes).toEqual([
      [0, 'led', 1],
      [500, 'led', 0],
      [1000, 'led', 1],
      [1500, 'led', 0],
      [2000, 'led', 1],
    ]);
  });

  it('stored: fast blink every 125 ms, and one 150 ms beep with sound', () => {
    const { clock, changes, player } = setup();
    player.show(shown('stored'));
    clock.advance(500);
    expect(changes).toEqual([
      [0, 'led', 1],
      [0, 'buzzer', 1],
      [125, 'led', 0],
      [150, 'buzzer', 0],
      [250, 'led', 1],
      [375, 'led', 0],
      [500, 'led', 1],
    ]);
  });

  it('acknowledged: steady light and one 1.5 s beep, then nothing changes', () => {
    const { clock, changes, player } = setup();
    player.show(shown('acknowledged'));
    clock.advance(60_000);
    expect(changes).toEqual([
      [0, 'led', 1],
      [0, 'buzzer', 1],
      [1500, 'buzzer', 0],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('unreachable: two 100 ms flashes every 5 s', () => {
    const { clock, changes, player } = setup();
    player.show(shown('unreachable', false));
    clock.advance(10_000);
    expect(changes).toEqual([
      [0, 'led', 1],
      [100, 'led', 0],
      [200, 'led', 1],
      [300, 'led', 0],
      [5000, 'led', 1],
      [5100, 'led', 0],
      [5200, 'led', 1],
      [5300, 'led', 0],
      [10_000, 'led', 1],
    ]);
  });

  it.each<FeedbackState>(['idle', 'resolved'])('%s: everything off, no timer left', (state) => {
    const { clock, changes, player } = setup();
    player.show(shown('acknowledged'));
    clock.advance(100);
    player.show(shown(state));
    clock.advance(10_000);
    expect(changes).toEqual([
      [0, 'led', 1],
      [0, 'buzzer', 1],
      [100, 'led', 0],
      [100, 'buzzer', 0],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('a new show replaces the running pattern at once, and its timers', () => {
    const { clock, changes, player } = setup();
    player.show(shown('spooled'));
    clock.advance(200); // in the middle of the 500 ms on
    player.show(shown('stored', false));
    clock.advance(300);
    expect(changes).toEqual([
      [0, 'led', 1],
      // stored starts on: the light is already on, nothing to change; the spooled timer is gone
      [325, 'led', 0],
      [450, 'led', 1],
    ]);
  });

  it('silent: the buzzer never sounds, whatever the state', () => {
    const { clock, changes, player } = setup();
    for (const state of ['spooled', 'stored', 'acknowledged', 'unreachable'] as const) {
      player.show(shown(state, false));
      clock.advance(6000);
    }
    expect(changes.filter(([, line]) => line === 'buzzer')).toEqual([]);
    expect(changes.some(([, line]) => line === 'led')).toBe(true);
  });

  it('stop turns both lines off and stops every timer', () => {
    const { clock, changes, player } = setup();
    player.show(shown('stored'));
    clock.advance(100);
    player.stop();
    clock.advance(10_000);
    expect(changes).toEqual([
      [0, 'led', 1],
      [0, 'buzzer', 1],
      [100, 'led', 0],
      [100, 'buzzer', 0],
    ]);
    expect(clock.pending).toBe(0);
  });
});
