import { AddressWindow } from './address-window';

describe('AddressWindow', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => (now = 5_000_000));

  it('counts events per address within a window that starts at its first event', () => {
    const window = new AddressWindow(10_000, clock);
    expect(window.record('a')).toBe(1);
    now += 4_000;
    expect(window.record('a')).toBe(2);
    expect(window.record('b')).toBe(1);
    expect(window.count('a')).toBe(2);
    expect(window.count('b')).toBe(1);
    expect(window.count('nobody')).toBe(0);
    expect(window.remainingMs('a')).toBe(6_000); // from the first event, not the last
    expect(window.remainingMs('b')).toBe(10_000);
    expect(window.remainingMs('nobody')).toBe(0);
  });

  it('ends the window exactly windowMs after its first event, then starts afresh', () => {
    const window = new AddressWindow(10_000, clock);
    window.record('a');
    window.record('a');
    now += 9_999;
    expect(window.count('a')).toBe(2);
    expect(window.remainingMs('a')).toBe(1);
    now += 1;
    expect(window.count('a')).toBe(0);
    expect(window.remainingMs('a')).toBe(0);
    expect(window.record('a')).toBe(1);
    expect(window.remainingMs('a')).toBe(10_000);
  });

  it('forgets an address when told, and the ended windows as it goes', () => {
    const window = new AddressWindow(10_000, clock);
    window.record('a');
    window.record('b');
    window.forget('a');
    expect(window.count('a')).toBe(0);
    expect(window.size).toBe(1);
    now += 10_000;
    expect(window.count('b')).toBe(0);
    expect(window.size).toBe(0);
  });

  it('at 10,000 addresses, first drops the ended windows, keeping the live ones', () => {
    const window = new AddressWindow(10_000, clock);
    for (let i = 0; i < 5_000; i++) window.record(`old-${i}`);
    now += 5_000;
    for (let i = 0; i < 5_000; i++) window.record(`live-${i}`);
    expect(window.size).toBe(10_000);
    now += 5_000; // the old ones' windows are over, the live ones' are not
    window.record('new');
    expect(window.size).toBe(5_001);
    expect(window.count('live-0')).toBe(1);
    expect(window.count('live-4999')).toBe(1);
    expect(window.count('new')).toBe(1);
  });

  it('at 10,000 live addresses, drops the oldest one to make room', () => {
    const window = new AddressWindow(60_000, clock);
    for (let i = 0; i < 10_000; i++) window.record(`a-${i}`);
    window.record('a-1'); // an address already counted takes no room
    expect(window.size).toBe(10_000);
    window.record('new');
    expect(window.size).toBe(10_000);
    expect(window.count('a-0')).toBe(0);
    expect(window.count('a-1')).toBe(2);
    expect(window.count('new')).toBe(1);
  });

  it('reads the real clock by default', () => {
    const window = new AddressWindow(60_000);
    window.record('a');
    expect(window.remainingMs('a')).toBeGreaterThan(59_000);
    expect(window.remainingMs('a')).toBeLessThanOrEqual(60_000);
  });
});
