/**
 * Retries `check` (an assertion) until it passes or the deadline is reached, then rethrows its
 * last failure. For effects that settle asynchronously (metric listeners, liveness timers):
 * as fast as the server allows, never a fixed sleep.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 3000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the wall clock has moved past `since` so the next receivedAt is strictly later. */
export async function nextMillisecond(since = Date.now()): Promise<void> {
  while (Date.now() <= since) await sleep(1);
}
