import type { TimelineEntry } from '@app/contracts/wire';

/* What the page derives from timelines, without the DOM (unit-tested in Node). */

/** Who was told of an alert, what failed and how far it escalated: a card's one-line summary. */
export interface NotificationSummary {
  /** Channels that accepted at least one notification, in the order they first did. */
  notified: string[];
  /** Channels whose latest send failed (a later success clears it). */
  failing: string[];
  /** The highest escalation step reached, 0 before the first. */
  step: number;
}

export function summarize(entries: readonly TimelineEntry[]): NotificationSummary {
  const notified = new Set<string>();
  const lastOutcome = new Map<string, 'sent' | 'failed'>();
  let step = 0;
  for (const entry of entries) {
    if (entry.kind === 'escalated') step = Math.max(step, entry.step ?? 0);
    if (!entry.channel) continue;
    if (entry.kind === 'notification.sent') {
      notified.add(entry.channel);
      lastOutcome.set(entry.channel, 'sent');
    } else if (entry.kind === 'notification.failed') {
      lastOutcome.set(entry.channel, 'failed');
    }
  }
  const failing = [...lastOutcome].filter(([, outcome]) => outcome === 'failed').map(([name]) => name);
  return { notified: [...notified], failing, step };
}

/** The channels that accepted a notification of the alert, for the history's CSV. */
export function channelsNotified(entries: readonly TimelineEntry[]): string[] {
  return summarize(entries).notified;
}

/**
 * Runs `task` over `items`, at most `limit` at a time, results in the items' order. The page
 * reads many timelines (the CSV, a full board) without opening a request per alert at once.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
