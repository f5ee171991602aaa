import type { TimelineEntry } from '@app/contracts/wire';
import { ApiError, getTimeline } from './api';
import { el } from './dom';
import { formatDateTime, t, type MessageKey } from './i18n';
import { NotificationSummary, summarize } from './timeline-data';

export function summaryText(summary: NotificationSummary): string {
  const parts = [
    summary.notified.length > 0
      ? t('notifiedSummary', { channels: summary.notified.join(', ') })
      : t('timelineEmpty'),
  ];
  if (summary.failing.length > 0) parts.push(t('failedSummary', { channels: summary.failing.join(', ') }));
  if (summary.step > 0) parts.push(t('escalatedSummary', { step: summary.step }));
  return parts.join(' · ');
}

/** The timeline as a list, each entry's text set as text (details come from receivers' errors). */
export function timelineList(entries: readonly TimelineEntry[]): HTMLOListElement {
  return el(
    'ol',
    { class: 'timeline' },
    ...entries.map((entry) =>
      el(
        'li',
        {
          class: `timeline-entry${entry.kind === 'notification.failed' ? ' timeline-failed' : ''}`,
          'data-kind': entry.kind,
          ...(entry.channel ? { 'data-channel': entry.channel } : {}),
        },
        el('time', { datetime: entry.at }, formatDateTime(entry.at)),
        ' ',
        el('span', { class: 'timeline-what' }, entryText(entry)),
      ),
    ),
  );
}

function entryText(entry: TimelineEntry): string {
  const text = t(`kind.${entry.kind}` as MessageKey, {
    step: entry.step ?? '',
    channel: entry.channel ?? '',
  });
  const extras: string[] = [];
  if (entry.kind === 'notification.sent' || entry.kind === 'notification.failed') {
    if (entry.step) extras.push(t('escalatedSummary', { step: entry.step }));
  }
  if (entry.by) extras.push(entry.by);
  const repeat = /^repeat (\d+)$/.exec(entry.detail ?? '');
  if (repeat) extras.push(t('repeat', { n: repeat[1] }));
  // What the button showed: the state in the page's language ("help is coming").
  else if (entry.kind === 'device.feedback' && (entry.detail === 'stored' || entry.detail === 'acknowledged'))
    extras.push(t(`shown.${entry.detail}`));
  else if (entry.detail) extras.push(entry.detail);
  return extras.length > 0 ? `${text} — ${extras.join(' — ')}` : text;
}

/** Timelines read at once for the board: a few, not one request per card together. */
const READS_AT_ONCE = 4;

/**
 * Keeps each active alert's card showing its timeline. Notifications are not live events, so
 * timelines are read again: when an alert changes (its card asks) and every `refreshMs` for
 * every card on the board, a few reads at a time, the newest answer for a card winning.
 */
export class CardTimelines {
  private readonly wanted = new Set<string>();
  private readonly views = new Map<string, HTMLElement>();
  private readonly requested = new Map<string, number>();
  private queue: string[] = [];
  private running = 0;
  private epoch = 0;

  constructor(private readonly read: (id: string) => Promise<TimelineEntry[]> = getTimeline) {}

  /** The card's timeline section; read now, and again on each `refresh`. */
  attach(id: string, view: HTMLElement): void {
    this.views.set(id, view);
    this.wanted.add(id);
    this.enqueue(id);
  }

  detach(id: string): void {
    this.views.delete(id);
    this.wanted.delete(id);
    this.requested.delete(id);
  }

  /**
   * Reads the timeline of these cards again (an alert changed, or the periodic refresh). Cards in
   * a closed incident list are left out: nobody sees them, and a 40-alert incident would cost 40
   * reads every period; opening the list reads them (IncidentCards).
   */
  refresh(ids: Iterable<string> = this.wanted): void {
    for (const id of ids) if (this.wanted.has(id) && !this.hidden(id)) this.enqueue(id);
  }

  private hidden(id: string): boolean {
    return this.views.get(id)?.closest('details.incident-alerts:not([open])') != null;
  }

  /** Signed out: nothing more is read or shown. */
  clear(): void {
    this.epoch++;
    this.wanted.clear();
    this.views.clear();
    this.queue = [];
  }

  private enqueue(id: string): void {
    if (!this.queue.includes(id)) this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    while (this.running < READS_AT_ONCE && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      this.running++;
      void this.load(id).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async load(id: string): Promise<void> {
    const epoch = this.epoch;
    const asked = (this.requested.get(id) ?? 0) + 1;
    this.requested.set(id, asked);
    try {
      const entries = await this.read(id);
      if (epoch !== this.epoch || this.requested.get(id) !== asked) return;
      const view = this.views.get(id);
      if (view) showTimeline(view, entries);
    } catch (error) {
      if (epoch !== this.epoch) return;
      const view = this.views.get(id);
      // Kept as it was, with the reason beside it: a failed read says nothing of the alert.
      if (view) {
        view.dataset.error = (error as ApiError).message;
        view.title = t('loadFailed', { what: t('timeline'), error: (error as ApiError).message });
      }
    }
  }
}

/** Fills a timeline section: `.timeline-summary` (the line) and `.timeline-body` (the list). */
export function showTimeline(view: HTMLElement, entries: readonly TimelineEntry[]): void {
  delete view.dataset.error;
  view.removeAttribute('title');
  view.dataset.loaded = 'true';
  const summary = view.querySelector<HTMLElement>('.timeline-summary');
  if (summary) summary.textContent = summaryText(summarize(entries));
  view.querySelector('.timeline-body')?.replaceChildren(timelineList(entries));
}

/** An empty timeline section, filled by `showTimeline`: a disclosure, closed by default. */
export function timelineSection(): HTMLDetailsElement {
  return el(
    'details',
    { class: 'alert-timeline', 'aria-label': t('timelineOf') },
    el('summary', {}, el('span', { class: 'timeline-summary' }, t('timelineLoading'))),
    el('div', { class: 'timeline-body' }),
  );
}
