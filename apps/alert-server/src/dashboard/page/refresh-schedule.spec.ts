import { RefreshSchedule } from './refresh-schedule';

describe('RefreshSchedule', () => {
  let reloads: number;
  let finish: (() => void) | undefined;
  /** A reload that takes until `finish()` when `slow`, no time otherwise. */
  let slow: boolean;
  let schedule: RefreshSchedule;

  beforeEach(() => {
    jest.useFakeTimers();
    reloads = 0;
    slow = false;
    schedule = new RefreshSchedule(
      () => {
        reloads++;
        return slow ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve();
      },
      3000,
      300,
      () => Date.now(),
    );
  });

  afterEach(() => jest.useRealTimers());

  it('makes a burst of changes one reload, then one trailing reload for the changes after it', async () => {
    schedule.reloadNow();
    expect(reloads).toBe(1);
    await jest.advanceTimersByTimeAsync(10_000);
    for (let i = 0; i < 20; i++) schedule.changed();
    await jest.advanceTimersByTimeAsync(299);
    expect(reloads).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(reloads).toBe(2);
    for (let i = 0; i < 20; i++) {
      schedule.changed();
      await jest.advanceTimersByTimeAsync(100);
    }
    // 2 s of changes, all within 3 s of the last reload: one more, 3 s after that reload.
    expect(reloads).toBe(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(reloads).toBe(3);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(reloads).toBe(3);
  });

  it('never overlaps reloads, and reloads again after one that may have read too early', async () => {
    slow = true;
    schedule.reloadNow();
    schedule.changed();
    schedule.reloadNow();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(reloads).toBe(1);
    finish?.();
    await jest.advanceTimersByTimeAsync(0);
    expect(reloads).toBe(1);
    await jest.advanceTimersByTimeAsync(300);
    expect(reloads).toBe(2);
  });
});
