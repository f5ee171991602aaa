import { RefusedAddresses } from './refused-addresses';

describe('RefusedAddresses', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => (now = 1_000_000));

  it('blocks an address after 60 refusals in a minute, until the minute is over', () => {
    const refused = new RefusedAddresses(clock);
    for (let i = 0; i < 59; i++) refused.record('10.0.0.9');
    expect(refused.blockedForSeconds('10.0.0.9')).toBe(0);
    refused.record('10.0.0.9');
    expect(refused.blockedForSeconds('10.0.0.9')).toBe(60);
    now += 45_000;
    expect(refused.blockedForSeconds('10.0.0.9')).toBe(15);
    now += 15_000;
    expect(refused.blockedForSeconds('10.0.0.9')).toBe(0);
  });

  it('counts each address apart', () => {
    const refused = new RefusedAddresses(clock);
    for (let i = 0; i < 60; i++) refused.record('10.0.0.9');
    expect(refused.blockedForSeconds('10.0.0.10')).toBe(0);
  });

  it('forgets refusals older than the window', () => {
    const refused = new RefusedAddresses(clock);
    for (let i = 0; i < 59; i++) refused.record('10.0.0.9');
    now += 60_000;
    refused.record('10.0.0.9');
    expect(refused.blockedForSeconds('10.0.0.9')).toBe(0);
  });

  it('keeps at most 10,000 addresses', () => {
    const refused = new RefusedAddresses(clock);
    for (let i = 0; i < 10_050; i++) refused.record(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect((refused as unknown as { refusals: { size: number } }).refusals.size).toBeLessThanOrEqual(10_000);
  });

  it('says whether any address is blocked, so that the caller can skip the lookup', () => {
    const refused = new RefusedAddresses(clock);
    expect(refused.anyBlocked()).toBe(false);
    for (let i = 0; i < 59; i++) refused.record('10.0.0.9');
    expect(refused.anyBlocked()).toBe(false);
    refused.record('10.0.0.9');
    expect(refused.anyBlocked()).toBe(true);
    now += 30_000;
    for (let i = 0; i < 60; i++) refused.record('10.0.0.10');
    now += 30_000; // the first block is over, the second is not
    expect(refused.blockedForSeconds('10.0.0.9')).toBe(0);
    expect(refused.anyBlocked()).toBe(true);
    now += 30_000;
    expect(refused.anyBlocked()).toBe(false);
  });
});
