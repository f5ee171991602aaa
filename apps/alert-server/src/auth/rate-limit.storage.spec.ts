import { ThrottlerStorageService } from '@nestjs/throttler';
import fc from 'fast-check';
import { SlidingWindowStorage } from './rate-limit.storage';

/**
 * The two throttlers of RATE_LIMITS, with small limits so that blocks happen often, and one
 * with a long hit list, so that the list is compacted along the way.
 */
const THROTTLERS = [
  { name: 'device', ttl: 10_000, limit: 5, blockDuration: 10_000 },
  { name: 'login', ttl: 60_000, limit: 3, blockDuration: 120_000 },
  { name: 'burst', ttl: 2_000, limit: 80, blockDuration: 3_000 },
];

describe('SlidingWindowStorage', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 10, 25, 8, 0, 0) }));
  afterEach(() => jest.useRealTimers());

  it('answers exactly as the stock storage, request after request', async () => {
    const step = fc.record({
      waitMs: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 0, max: 130_000 }),
      ),
      caller: fc.constantFrom('pi-1', 'pi-2'),
      throttler: fc.constantFrom(...THROTTLERS),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 400, size: 'max' }), async (steps) => {
        const stock = new ThrottlerStorageService();
        const ours = new SlidingWindowStorage();
        try {
          for (const { waitMs, caller, throttler } of steps) {
            // Moves Date.now() without firing timers: neither storage sweeps, as a sweep only
            // forgets idle callers and would reset the stock one's reporting window.
            jest.setSystemTime(Date.now() + waitMs);
            const { name, ttl, limit, blockDuration } = throttler;
            const key = `${name}:AlertsController.create:${caller}`;
            const expected = await stock.increment(key, ttl, limit, blockDuration, name);
            expect(await ours.increment(key, ttl, limit, blockDuration, name)).toEqual(expected);
          }
        } finally {
          stock.onApplicationShutdown();
          ours.sweep();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses past the limit, for the block duration, then counts afresh', async () => {
    const storage = new SlidingWindowStorage();
    const hit = () => storage.increment('pi-1', 10_000, 3, 20_000, 'device');
    for (let i = 1; i <= 3; i++) expect(await hit()).toMatchObject({ totalHits: i, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 20 });
    jest.setSystemTime(Date.now() + 15_000); // the hits have expired, the block has not
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 5 });
    jest.setSystemTime(Date.now() + 5_000);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps each hit for the window, sliding: old hits leave one by one', async () => {
    const storage = new SlidingWindowStorage();
    const hit = () => storage.increment('pi-1', 10_000, 1_000, 10_000, 'device');
    for (let second = 0; second < 100; second++) {
      const { totalHits } = await hit();
      expect(totalHits).toBe(Math.min(second + 1, 10));
      jest.setSystemTime(Date.now() + 1_000);
    }
  });

  it('forgets idle callers, keeps a blocked one until its block ends, and then stops its timer', async () => {
    const storage = new SlidingWindowStorage();
    await storage.increment('pi-idle', 10_000, 5, 10_000, 'device');
    for (let i = 0; i < 3; i++) await storage.increment('10.0.0.7', 60_000, 2, 120_000, 'login');
    expect(storage.size).toBe(2);
    expect(storage.sweeping).toBe(true);

    jest.advanceTimersByTime(60_000); // a sweep: the device's hit expired, the address is blocked
    expect(storage.size).toBe(1);
    jest.advanceTimersByTime(60_000); // block ends at 120 s: forgotten at this sweep
    expect(storage.size).toBe(0);
    expect(storage.sweeping).toBe(false);
    expect(jest.getTimerCount()).toBe(0);

    // A new request starts it again.
    expect(await storage.increment('pi-idle', 10_000, 5, 10_000, 'device')).toMatchObject({ totalHits: 1 });
    expect(storage.sweeping).toBe(true);
  });
  it('a sweep keeps a caller whose hits are still live, and their count', async () => {
    const storage = new SlidingWindowStorage();
    await storage.increment('pi-busy', 120_000, 5, 10_000, 'device');
    jest.advanceTimersByTime(60_000); // a sweep: the hit has another minute to live
    expect(storage.size).toBe(1);
    expect(await storage.increment('pi-busy', 120_000, 5, 10_000, 'device')).toMatchObject({ totalHits: 2 });
    storage.sweep();
  });

  it("a caller hitting all day keeps a bounded hit list: memory follows the window, not the day's total", async () => {
    const storage = new SlidingWindowStorage();
    // 10 live hits at a time (one a second, 10 s window), for 2,000 s.
    for (let second = 0; second < 2_000; second++) {
      await storage.increment('pi-1', 10_000, 1_000, 10_000, 'device');
      jest.setSystemTime(Date.now() + 1_000);
    }
    const logs = (storage as unknown as { logs: Map<string, { expirations: number[] }> }).logs;
    const [log] = [...logs.values()];
    expect(log.expirations.length).toBeLessThanOrEqual(2 * 33 + 10);
    storage.sweep();
  });
});
