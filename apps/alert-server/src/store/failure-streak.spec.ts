import { Logger } from '@nestjs/common';
import { FailureStreak } from './failure-streak';

describe('FailureStreak', () => {
  const logger = new Logger('test');
  let error: jest.SpyInstance;
  let info: jest.SpyInstance;

  beforeEach(() => {
    error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    info = jest.spyOn(logger, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('logs the first failure at once, then one line per interval with the count, and the end once', async () => {
    const streak = new FailureStreak(logger, 100);
    expect(streak.failing).toBe(false);
    for (let i = 0; i < 50; i++) streak.failed({ code: 'STORE_FULL' }, 'a commit failed');
    expect(streak.failing).toBe(true);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][0]).toMatchObject({ code: 'STORE_FULL', failures: 1 });

    await sleep(120);
    streak.failed({ code: 'STORE_FULL' }, 'a commit failed');
    expect(error).toHaveBeenCalledTimes(2);
    expect(error.mock.calls[1][0]).toMatchObject({ code: 'STORE_FULL', failures: 50 });

    streak.failed({ code: 'STORE_FULL' }, 'a commit failed');
    streak.recovered({ code: 'STORE_WRITES_RESUMED' }, 'back');
    streak.recovered({ code: 'STORE_WRITES_RESUMED' }, 'back');
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0][0]).toMatchObject({ code: 'STORE_WRITES_RESUMED', unloggedFailures: 1 });
    expect(streak.failing).toBe(false);

    // A new run is logged at once again.
    streak.failed({ code: 'STORE_IO_ERROR' }, 'a commit failed');
    expect(error).toHaveBeenCalledTimes(3);
  });

  it('logs nothing on recovery when nothing failed', () => {
    new FailureStreak(logger).recovered({ code: 'STORE_WRITES_RESUMED' }, 'back');
    expect(info).not.toHaveBeenCalled();
  });
});
