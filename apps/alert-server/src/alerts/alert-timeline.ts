import type { TimelineEntry } from '@app/contracts';
import type { AlertEventsTable } from '../notifications/notifications.schema';
import type { AlertsTable } from './alerts.schema';

/**
 * An alert's timeline: its reception, acknowledgement and resolution (from its row) merged with
 * what happened around it (stored events), oldest first. At the same instant the alert's own
 * change comes first: an alert is received before anything is sent about it.
 */
export function alertTimeline(alert: AlertsTable, events: readonly AlertEventsTable[]): TimelineEntry[] {
  const own: TimelineEntry[] = [{ at: alert.received_at, kind: 'received' }];
  if (alert.acknowledged_at) {
    own.push(
      handled('acknowledged', alert.acknowledged_at, alert.acknowledged_by, alert.acknowledgement_note),
    );
  }
  if (alert.resolved_at) {
    own.push(handled('resolved', alert.resolved_at, alert.resolved_by, alert.resolution_note));
  }
  const around = events.map((event): TimelineEntry => {
    const entry: TimelineEntry = { at: event.at, kind: event.kind };
    if (event.channel !== null) entry.channel = event.channel;
    if (event.step !== null) entry.step = event.step;
    if (event.detail !== null) entry.detail = event.detail;
    return entry;
  });
  // A stable sort keeps each source's own order, and the alert's changes before the events.
  return [...own, ...around].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function handled(
  kind: 'acknowledged' | 'resolved',
  at: string,
  by: string | null,
  note: string | null,
): TimelineEntry {
  const entry: TimelineEntry = { at, kind };
  if (by !== null) entry.by = by;
  if (note !== null) entry.detail = note;
  return entry;
}
