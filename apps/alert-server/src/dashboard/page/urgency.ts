import type { Alert, AlertSeverity } from '@app/contracts/wire';
import { pressedAt } from './alert-types';

const SEVERITY_RANK: Record<AlertSeverity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * The order of the active alerts, most urgent first: real alerts before drills (a `test` is
 * never above a real one, whatever its severity), then by severity, unacknowledged before
 * acknowledged, then the oldest press first.
 *
 * Oldest first within a level, as alarm-management practice (ISA-18.2, IEC 62682) puts the
 * longest-waiting unanswered alarm in front of the operator: the person who pressed first has
 * waited longest, and a new press of the same level joins below instead of pushing the ones
 * still waiting out of sight. A new alert is not missed for it: it rings, it counts in the
 * title, and a more urgent one takes the top.
 */
export function compareUrgency(a: Alert, b: Alert, now = Date.now()): number {
  return (
    Number(a.type === 'test') - Number(b.type === 'test') ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    Number(a.status !== 'open') - Number(b.status !== 'open') ||
    pressedAt(a, now) - pressedAt(b, now) ||
    a.id.localeCompare(b.id)
  );
}

export function byUrgency(alerts: readonly Alert[], now = Date.now()): Alert[] {
  return [...alerts].sort((a, b) => compareUrgency(a, b, now));
}
