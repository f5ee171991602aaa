/**
 * Exponential backoff with full jitter: sleep = random(0, min(max, base·2^attempt)).
 * Jitter spreads the retries of many Pis after an outage, so they do not all hit the
 * server at the same instant when it comes back.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** The longest `Retry-After` honoured as given; a larger one is capped (a press must not wait hours). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now; null if absent or invalid. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
