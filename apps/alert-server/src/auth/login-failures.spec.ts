import { LoginFailures } from './login-failures';

const MINUTE = 60_000;

/** A LoginFailures on a clock the test moves. */
function withClock() {
  let now = 1_000_000;
  const failures = new LoginFailures(() => now);
  return {
    failures,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** The number of addresses it holds: the memory a flood can make it take. */
function size(failures: LoginFailures): number {
  return (failures as unknown as { failures: { size: number } }).failures.size;
}

describe('LoginFailures', () => {
  it('counts failures per address', () => {
    const { failures } = withClock();
    expect([1, 2, 3].map(() => failures.record('10.0.0.1'))).toEqual([1, 2, 3]);
    expect(failures.record('10.0.0.2')).toBe(1);
    expect(failures.record('10.0.0.1')).toBe(4);
  });

  it('costs nothing for the first typos, then each failure waits longer', () => {
    const { failures } = withClock();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(failures.delayMs('10.0.0.1'));
      failures.record('10.0.0.1');
    }
    expect(delays.slice(0, 3)).toEqual([0, 0, 0]);
    for (let i = 3; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
    expect(delays).toEqual([0, 0, 0, 150, 300, 450, 600, 750]);
  });

  it('caps the delay at 2 s, however many failures', () => {
    const { failures } = withClock();
    for (let i = 0; i < 1000; i++) failures.record('10.0.0.1');
    expect(failures.delayMs('10.0.0.1')).toBe(2000);
  });

  it('does not slow another address down', () => {
    const { failures } = withClock();
    for (let i = 0; i < 20; i++) failures.record('10.0.0.1');
    expect(failures.delayMs('10.0.0.2')).toBe(0);
  });

  it('forgets failures 15 minutes after the first one of the window', () => {
    const { failures, advance } = withClock();
    for (let i = 0; i < 10; i++) failures.record('10.0.0.1');
    advance(15 * MINUTE - 1);
    expect(failures.delayMs('10.0.0.1')).toBeGreaterThan(0);
    advance(1);
    expect(failures.delayMs('10.0.0.1')).toBe(0);
    expect(failures.record('10.0.0.1')).toBe(1);
  });

  it('forgets an address on a successful sign-in (clear)', () => {
    const { failures } = withClock();
    for (let i = 0; i < 10; i++) failures.record('10.0.0.1');
    failures.clear('10.0.0.1');
    expect(failures.delayMs('10.0.0.1')).toBe(0);
    expect(failures.record('10.0.0.1')).toBe(1);
  });

  it('holds at most 10,000 addresses, whatever a flood of distinct addresses does', () => {
    const { failures } = withClock();
    for (let i = 0; i < 25_000; i++) failures.record(`addr-${i}`);
    expect(size(failures)).toBeLessThanOrEqual(10_000);
    // The newest are the ones kept.
    expect(failures.record('addr-24999')).toBe(2);
  });

  it('sweeps expired addresses first when full', () => {
    const { failures, advance } = withClock();
    for (let i = 0; i < 10_000; i++) failures.record(`old-${i}`);
    advance(16 * MINUTE);
    for (let i = 0; i < 5; i++) failures.record('10.0.0.1');
    expect(size(failures)).toBe(1);
    expect(failures.delayMs('10.0.0.1')).toBe(450);
  });
});
