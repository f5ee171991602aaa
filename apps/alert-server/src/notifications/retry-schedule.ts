/** The first retry waits up to this long; each later one up to twice as long as the one before. */
export const RETRY_BASE_MS = 5_000;
/** No wait longer than this: a receiver that comes back is found within five minutes. */
export const RETRY_MAX_MS = 5 * 60_000;
/** A notification is retried for this long after it was due, then given up (and logged). */
export const GIVE_UP_AFTER_MS = 60 * 60_000;

/**
 * When to try a failed send again: exponential backoff with full jitter (many notifications
 * failing together, say to a mail server that restarted, do not come back together), or null
 * once it has failed for an hour since it was due.
 */
export function nextAttemptAt(
  dueAt: string,
  attempts: number,
  now: number,
  random: () => number = Math.random,
): string | null {
  if (now - Date.parse(dueAt) >= GIVE_UP_AFTER_MS) return null;
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
  // Never sooner than a second: a receiver that refuses at once must not be hammered.
  const wait = Math.max(1_000, Math.floor(random() * ceiling));
  return new Date(now + wait).toISOString();
}
