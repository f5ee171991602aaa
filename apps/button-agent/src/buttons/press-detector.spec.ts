import { ButtonConfig } from '../config/agent-config';
import { FakeClock } from '../feedback/fixtures/fake-clock';
import { PressDetector, PressOptions } from './press-detector';

const fire: ButtonConfig = { pin: 17, type: 'fire', label: null };
const door: ButtonConfig = { pin: 27, type: 'intrusion', label: 'Porte arrière' };

/** `presses` are those that make an alert; `counted` those that did not (yet). */
function setup(options: Partial<PressOptions> & { debounceMs: number; holdMs: number }) {
  const clock = new FakeClock();
  const presses: Array<{ pin: number; at: number }> = [];
  const counted: Array<{ pin: number; at: number; count: number; needed: number }> = [];
  const detector = new PressDetector(
    [fire, door],
    { presses: 1, pressWindowMs: 1500, ...options },
    {
      pressed: (button) => presses.push({ pin: button.pin, at: clock.now }),
      counted: (button, count, needed) => counted.push({ pin: button.pin, at: clock.now, count, needed }),
    },
    clock,
  );
  const edge = (pin: number, kind: 'down' | 'up', afterMs = 0) => {
    clock.advance(afterMs);
    detector.handle({ pin, kind, at: clock.now });
  };
  /** A clean 50 ms press starting at `at` (absolute time). */
  const tap = (pin: number, at: number) => {
    clock.advance(at - clock.now);
    edge(pin, 'down');
    edge(pin, 'up', 50);
  };
  return { clock, presses, counted, detector, edge, tap };
}

describe('PressDetector', () => {
  it('fires on the first edge, without waiting for the bounce to settle', () => {
    const { presses, edge } = setup({ debounceMs: 30, holdMs: 0 });
    edge(17, 'down');
    expect(presses).toEqual([{ pin: 17, at: 0 }]);
  });

  it('filters contact bounce into one press', () => {
    const { presses, edge, clock } = setup({ debounceMs: 30, holdMs: 0 });
    edge(17, 'down');
    edge(17, 'up', 2);
    edge(17, 'down', 3);
    edge(17, 'up', 4);
    edge(17, 'down', 5);
    clock.advance(500);
    edge(17, 'up');
    edge(17, 'down', 3); // bounce on release
    edge(17, 'up', 3);
    clock.advance(500);
    expect(presses).toHaveLength(1);
  });

  it('counts two real presses separated by more than the bounce window', () => {
    const { presses, edge } = setup({ debounceMs: 30, holdMs: 0 });
    edge(17, 'down');
    edge(17, 'up', 100);
    edge(17, 'down', 100);
    expect(presses.map((press) => press.at)).toEqual([0, 200]);
  });

  it('never leaves a button stuck after a press shorter than the bounce window', () => {
    const { presses, edge, clock } = setup({ debounceMs: 30, holdMs: 0 });
    edge(17, 'down');
    edge(17, 'up', 10); // released within the window: applied when it closes
    clock.advance(100);
    edge(17, 'down');
    expect(presses.map((press) => press.at)).toEqual([0, 110]);
  });

  it('fires once for a button held down', () => {
    const { presses, edge, clock } = setup({ debounceMs: 30, holdMs: 0 });
    edge(17, 'down');
    clock.advance(10_000);
    edge(17, 'down'); // a repeated level report changes nothing
    expect(presses).toHaveLength(1);
  });

  it('with a hold time, counts a press only once held that long', () => {
    const { presses, edge, clock } = setup({ debounceMs: 30, holdMs: 500 });
    edge(17, 'down');
    edge(17, 'up', 200); // too short: an accidental touch
    clock.advance(1000);
    expect(presses).toHaveLength(0);
    edge(17, 'down');
    clock.advance(499);
    expect(presses).toHaveLength(0);
    clock.advance(1);
    expect(presses).toEqual([{ pin: 17, at: 1700 }]);
  });

  it('keeps buttons apart and ignores pins it was not given', () => {
    const { presses, edge } = setup({ debounceMs: 30, holdMs: 0 });
    edge(17, 'down');
    edge(27, 'down', 1);
    edge(22, 'down', 1);
    expect(presses.map((press) => press.pin)).toEqual([17, 27]);
  });

  it('counts a simulated press at once, hold time or not', () => {
    const { presses, detector } = setup({ debounceMs: 30, holdMs: 500 });
    detector.handle({ pin: 27, kind: 'press', at: 0 });
    expect(presses).toEqual([{ pin: 27, at: 0 }]);
  });

  it('cancels pending timers on stop', () => {
    const { presses, edge, clock, detector } = setup({ debounceMs: 30, holdMs: 500 });
    edge(17, 'down');
    detector.stop();
    clock.advance(1000);
    expect(presses).toHaveLength(0);
  });

  it('with one press needed (the default), counts nothing: each press alerts at its first edge', () => {
    const { presses, counted, tap } = setup({ debounceMs: 30, holdMs: 0 });
    tap(17, 0);
    tap(17, 100);
    expect(presses).toEqual([
      { pin: 17, at: 0 },
      { pin: 17, at: 100 },
    ]);
    expect(counted).toEqual([]);
  });
});

describe('PressDetector with a press pattern (VIGIE_PRESSES=3 within 1500 ms)', () => {
  const pattern = { debounceMs: 30, holdMs: 0, presses: 3, pressWindowMs: 1500 };

  it('makes no alert for two presses, and says so for each', () => {
    const { presses, counted, tap, clock } = setup(pattern);
    tap(17, 0);
    tap(17, 300);
    clock.advance(5000);
    expect(presses).toEqual([]);
    expect(counted).toEqual([
      { pin: 17, at: 0, count: 1, needed: 3 },
      { pin: 17, at: 300, count: 2, needed: 3 },
    ]);
  });

  it('makes one alert at the third press within the window, at once', () => {
    const { presses, tap, edge } = setup(pattern);
    tap(17, 0);
    tap(17, 300);
    tap(17, 1500); // the window's last millisecond, measured from the first press
    expect(presses).toEqual([{ pin: 17, at: 1500 }]);
    edge(17, 'down', 1000);
    expect(presses).toHaveLength(1);
  });

  it('makes no alert for three presses spread over 3 s (each gap inside the window)', () => {
    const { presses, counted, tap } = setup(pattern);
    tap(17, 0);
    tap(17, 1500);
    tap(17, 3000); // 1500 ms after the second, 3000 after the first: a new series
    expect(presses).toEqual([]);
    expect(counted.map((press) => press.count)).toEqual([1, 2, 1]);
  });

  it('makes no alert when the third press comes 1 ms past the window', () => {
    const { presses, tap } = setup(pattern);
    tap(17, 0);
    tap(17, 700);
    tap(17, 1501);
    expect(presses).toEqual([]);
  });

  it('makes one alert for four quick presses, not two; the fourth starts a new series', () => {
    const { presses, counted, tap } = setup(pattern);
    for (const at of [0, 200, 400, 600]) tap(17, at);
    expect(presses).toEqual([{ pin: 17, at: 400 }]);
    expect(counted.map((press) => press.count)).toEqual([1, 2, 1]);
  });

  it('starts a new series after the window passes, and after an alert', () => {
    const { presses, tap } = setup(pattern);
    tap(17, 0);
    tap(17, 200); // two, then the window passes
    for (const at of [2000, 2200, 2400]) tap(17, at);
    for (const at of [2600, 2800, 3000]) tap(17, at);
    expect(presses.map((press) => press.at)).toEqual([2400, 3000]);
  });

  it('counts each button on its own', () => {
    const { presses, counted, tap } = setup(pattern);
    tap(17, 0);
    tap(27, 100);
    tap(17, 200);
    tap(27, 300);
    expect(presses).toEqual([]);
    tap(17, 400);
    expect(presses).toEqual([{ pin: 17, at: 400 }]);
    expect(counted.filter((press) => press.pin === 27).map((press) => press.count)).toEqual([1, 2]);
  });

  it('counts a bouncing press once', () => {
    const { presses, counted, edge, tap } = setup(pattern);
    edge(17, 'down');
    edge(17, 'up', 2);
    edge(17, 'down', 3);
    edge(17, 'up', 4);
    edge(17, 'down', 5);
    edge(17, 'up', 200);
    edge(17, 'down', 3); // bounce on release
    edge(17, 'up', 3);
    tap(17, 600);
    expect(presses).toEqual([]);
    expect(counted.map((press) => press.count)).toEqual([1, 2]);
    tap(17, 900);
    expect(presses).toEqual([{ pin: 17, at: 900 }]);
  });

  it('with a hold time, counts only presses held that long, from the end of each hold', () => {
    const { presses, counted, edge, clock } = setup({ ...pattern, holdMs: 500 });
    const hold = (at: number, ms: number) => {
      clock.advance(at - clock.now);
      edge(17, 'down');
      edge(17, 'up', ms);
    };
    hold(0, 560); // counted at 500
    hold(650, 100); // too short: an accidental touch, not counted
    hold(800, 560); // counted at 1300
    expect(presses).toEqual([]);
    expect(counted.map((press) => [press.count, press.at])).toEqual([
      [1, 500],
      [2, 1300],
    ]);
    hold(1400, 560); // counted at 1900: 1400 ms after the first count, 1900 after its contact closed
    expect(presses).toEqual([{ pin: 17, at: 1900 }]);
  });

  it('counts simulated presses toward the pattern too', () => {
    const { presses, detector } = setup(pattern);
    for (const at of [0, 100, 200]) detector.handle({ pin: 27, kind: 'press', at });
    expect(presses).toEqual([{ pin: 27, at: 0 }]);
  });
});
