import { GIVE_UP_AFTER_MS, RETRY_MAX_MS, nextAttemptAt } from './retry-schedule';

const DUE = '2026-12-02T10:00:00.000Z';
const due = Date.parse(DUE);
const waitOf = (attempts: number, random: number, now = due) =>
  Date.parse(nextAttemptAt(DUE, attempts, now, () => random)!) - now;

describe('nextAttemptAt', () => {
  it('waits up to 5 s after the first failure, doubling after each, never more than 5 min', () => {
    expect(waitOf(1, 0.999_999)).toBe(4_999);
    expect(waitOf(2, 0.999_999)).toBe(9_999);
    expect(waitOf(4, 0.999_999)).toBe(39_999);
    expect(waitOf(30, 0.999_999)).toBe(RETRY_MAX_MS - 1);
  });

  it('spreads retries over the whole window (full jitter), but never under a second', () => {
    expect(waitOf(3, 0.5)).toBe(10_000);
    expect(waitOf(3, 0)).toBe(1_000);
  });

  it('keeps retrying for an hour after the notification was due, then gives up', () => {
    expect(nextAttemptAt(DUE, 40, due + GIVE_UP_AFTER_MS - 1)).not.toBeNull();
    expect(nextAttemptAt(DUE, 40, due + GIVE_UP_AFTER_MS)).toBeNull();
  });
});
