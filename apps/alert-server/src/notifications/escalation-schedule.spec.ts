import { escalationSchedule } from './escalation-schedule';

const step = (afterS: number, notify: string[], repeatS: number | null = null) => ({
  afterMs: afterS * 1000,
  notify,
  repeatMs: repeatS === null ? null : repeatS * 1000,
});

describe('escalationSchedule', () => {
  it('fires each step at its delay, in order', () => {
    expect(escalationSchedule([step(0, ['a']), step(60, ['b']), step(180, ['c'])])).toEqual([
      { offsetMs: 0, step: 1, repeat: 0 },
      { offsetMs: 60_000, step: 2, repeat: 0 },
      { offsetMs: 180_000, step: 3, repeat: 0 },
    ]);
  });

  it("interleaves a step's repeats with the later steps, at most 20 repeats", () => {
    const firings = escalationSchedule([step(0, ['a']), step(60, ['b'], 30), step(180, ['c'])]);
    expect(firings.slice(0, 7)).toEqual([
      { offsetMs: 0, step: 1, repeat: 0 },
      { offsetMs: 60_000, step: 2, repeat: 0 },
      { offsetMs: 90_000, step: 2, repeat: 1 },
      { offsetMs: 120_000, step: 2, repeat: 2 },
      { offsetMs: 150_000, step: 2, repeat: 3 },
      { offsetMs: 180_000, step: 2, repeat: 4 },
      { offsetMs: 180_000, step: 3, repeat: 0 },
    ]);
    expect(firings.filter((firing) => firing.step === 2)).toHaveLength(21);
    expect(firings.at(-1)).toEqual({ offsetMs: 60_000 + 20 * 30_000, step: 2, repeat: 20 });
  });

  it('has nothing to fire for a rule without steps', () => {
    expect(escalationSchedule([])).toEqual([]);
  });
});
