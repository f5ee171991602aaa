import type { Alert } from '@app/contracts';

/**
 * The longest transit taken as real: a Pi that kept a press in its spool through a week-long
 * outage still counts. Beyond it the device's clock is wrong (a Pi without a real-time clock
 * starts in 1970 until NTP answers), and one such alert observed as a transit of decades
 * would make the histogram's sum, and every mean drawn from it, meaningless.
 */
export const MAX_TRANSIT_SECONDS = 7 * 86_400;
/**
 * A device clock a little ahead (NTP not settled yet) gives a small negative transit, counted
 * as none; a minute ahead is a wrong clock, not a fast network.
 */
export const MAX_CLOCK_AHEAD_SECONDS = 60;

export type AlertTransit =
  | { kind: 'plausible'; seconds: number }
  /** `behind`: triggeredAt too far in the past; `ahead`: in the future. */
  | { kind: 'clock_skew'; direction: 'behind' | 'ahead'; seconds: number };

/** `receivedAt − triggeredAt`, and whether the device's clock can be trusted for it. */
export function alertTransit(alert: Pick<Alert, 'receivedAt' | 'triggeredAt'>): AlertTransit {
  const seconds = (Date.parse(alert.receivedAt) - Date.parse(alert.triggeredAt)) / 1000;
  if (seconds > MAX_TRANSIT_SECONDS) return { kind: 'clock_skew', direction: 'behind', seconds };
  if (seconds < -MAX_CLOCK_AHEAD_SECONDS) return { kind: 'clock_skew', direction: 'ahead', seconds };
  return { kind: 'plausible', seconds: Math.max(0, seconds) };
}
