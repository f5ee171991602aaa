import { ButtonConfig } from '../config/agent-config';
import { PressDetector, Timers } from './press-detector';

/** A clock and timers the test moves by hand. */
class FakeClock implements Timers {
  now = 0;
  private timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private nextId = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.now = due.at;
      due.callback();
    }
    this.now = end;
  }
}

const fire: ButtonConfig = { pin: 17, type: 'fire', label: null };
const door: ButtonConfig = { pin: 27, type: 'intrusion', label: 'Porte arrière' };

function setup(options: { debounceMs: number; holdMs: number }) {
  const clock = new FakeClock();
  const presses: Array<{ pin: number; at: number }> = [];
  const detector = new PressDetector(
    [fire, door],
    options,
    (button) => presses.push({ pin: button.pin, at: clock.now }),
    clock,
  );
  const edge = (pin: number, kind: 'down' | 'up', afterMs = 0) => {
    clock.advance(afterMs);
    detector.handle({ pin, kind, at: clock.now });
  };
  return { clock, presses, detector, edge };
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
});
