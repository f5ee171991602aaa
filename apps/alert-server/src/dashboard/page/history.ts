import type { Alert, AlertType } from '@app/contracts/wire';
import { ApiError, getTimeline, listAlerts, walkAlerts } from './api';
import { alertsToCsv, download } from './csv';
import { TYPES, TYPE_COLOURS, typeIcon } from './alert-types';
import { byId, el } from './dom';
import { formatDateTime, t, typeLabel } from './i18n';
import { timelineList } from './timeline';
import { channelsNotified, mapLimited } from './timeline-data';

const PAGE_ROWS = 25;
/** Timelines the CSV export reads at once (one request per alert exported). */
const EXPORT_READS_AT_ONCE = 6;

interface Filters {
  type?: AlertType;
  deviceId?: string;
  /** Period of reception, in ms since the epoch: [from, to). */
  from: number;
  to: number;
}

/**
 * Resolved alerts, newest first, paged by the server's cursor. Type and device are filtered
 * by the server; the period (which GET /alerts cannot filter) is filtered here, and the walk
 * stops as soon as the pages are older than its start.
 */
export class History {
  private readonly rows = byId('history-rows');
  private readonly typeSelect = byId<HTMLSelectElement>('history-type');
  private readonly deviceSelect = byId<HTMLSelectElement>('history-device');
  private readonly fromInput = byId<HTMLInputElement>('history-from');
  private readonly toInput = byId<HTMLInputElement>('history-to');
  private readonly more = byId<HTMLButtonElement>('history-more');
  private readonly exportButton = byId<HTMLButtonElement>('export-csv');
  private readonly status = byId('history-status');
  private cursor: string | null = null;
  private done = false;
  private generation = 0;
  private shown = new Set<string>();

  constructor(private readonly report: (message: string) => void) {
    this.typeSelect.append(el('option', { value: '' }, t('allTypes')));
    for (const type of TYPES) this.typeSelect.append(el('option', { value: type }, typeLabel(type)));
    this.setDevices([]);
    for (const input of [this.typeSelect, this.deviceSelect, this.fromInput, this.toInput]) {
      input.addEventListener('change', () => void this.reload());
    }
    this.more.addEventListener('click', () => void this.loadMore());
    this.exportButton.addEventListener('click', () => void this.exportCsv());
  }

  setDevices(ids: string[]): void {
    const selected = this.deviceSelect.value;
    const options = [el('option', { value: '' }, t('allDevices'))];
    for (const id of [...new Set([...ids, ...(selected ? [selected] : [])])].sort()) {
      options.push(el('option', { value: id }, id));
    }
    this.deviceSelect.replaceChildren(...options);
    this.deviceSelect.value = selected;
  }

  /** Empties the table (signed out); loads in flight are dropped. */
  clear(): void {
    this.generation++;
    this.cursor = null;
    this.done = false;
    this.shown = new Set();
    this.rows.replaceChildren();
    this.status.textContent = '';
    this.setDevices([]);
  }

  async reload(): Promise<void> {
    this.generation++;
    this.cursor = null;
    this.done = false;
    this.shown = new Set();
    this.rows.replaceChildren();
    await this.loadMore();
  }

  /** A live alert.resolved: shown at once when it fits the filters and its place is loaded. */
  add(alert: Alert): void {
    if (alert.status !== 'resolved' || this.shown.has(alert.id) || !this.matches(alert, this.filters()))
      return;
    const rows = Array.from(this.rows.querySelectorAll<HTMLElement>('.history-row'));
    const after = rows.find((row) => (row.dataset.receivedAt ?? '') < alert.receivedAt);
    if (!after && !this.done) return;
    this.shown.add(alert.id);
    this.rows.insertBefore(this.row(alert), after ?? null);
    this.updateStatus();
  }

  async loadMore(): Promise<void> {
    if (this.done) return;
    const generation = this.generation;
    const filters = this.filters();
    this.more.disabled = true;
    let added = 0;
    try {
      while (added < PAGE_ROWS && !this.done) {
        const page = await listAlerts({
          status: 'resolved',
          type: filters.type,
          deviceId: filters.deviceId,
          limit: 100,
          before: this.cursor,
        });
        if (generation !== this.generation) return;
        for (const alert of page.items) {
          if (this.shown.has(alert.id) || !this.matches(alert, filters)) continue;
          this.shown.add(alert.id);
          this.rows.append(this.row(alert));
          added++;
        }
        const oldest = page.items.at(-1);
        this.cursor = page.nextCursor;
        this.done =
          !page.nextCursor || (oldest !== undefined && Date.parse(oldest.receivedAt) < filters.from);
      }
    } catch (error) {
      this.report(t('loadFailed', { what: t('history'), error: (error as ApiError).message }));
    } finally {
      if (generation === this.generation) {
        this.more.disabled = this.done;
        this.updateStatus();
      }
    }
  }

  private async exportCsv(): Promise<void> {
    const filters = this.filters();
    const alerts: Alert[] = [];
    this.exportButton.disabled = true;
    this.exportButton.textContent = t('exporting');
    try {
      await walkAlerts({ status: 'resolved', type: filters.type, deviceId: filters.deviceId }, (items) => {
        alerts.push(...items.filter((alert) => this.matches(alert, filters)));
        const oldest = items.at(-1);
        return !(oldest && Date.parse(oldest.receivedAt) < filters.from);
      });
      // The channels notified come from each alert's timeline: the export fails rather than
      // leave a column silently empty.
      let done = 0;
      const channels = new Map<string, string[]>();
      await mapLimited(alerts, EXPORT_READS_AT_ONCE, async (alert) => {
        channels.set(alert.id, channelsNotified(await getTimeline(alert.id)));
        done++;
        this.exportButton.textContent = t('exportingProgress', { done, total: alerts.length });
      });
      const day = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'all');
      download(`vigie-alerts-${day(filters.from)}_${day(filters.to - 1)}.csv`, alertsToCsv(alerts, channels));
    } catch (error) {
      this.report(t('loadFailed', { what: 'CSV', error: (error as ApiError).message }));
    } finally {
      this.exportButton.disabled = false;
      this.exportButton.textContent = t('exportCsv');
    }
  }

  private filters(): Filters {
    const from = this.fromInput.value ? new Date(`${this.fromInput.value}T00:00:00`).getTime() : -Infinity;
    let to = Infinity;
    if (this.toInput.value) {
      const end = new Date(`${this.toInput.value}T00:00:00`);
      end.setDate(end.getDate() + 1);
      to = end.getTime();
    }
    return {
      type: (this.typeSelect.value || undefined) as AlertType | undefined,
      deviceId: this.deviceSelect.value || undefined,
      from,
      to,
    };
  }

  private matches(alert: Alert, filters: Filters): boolean {
    const received = Date.parse(alert.receivedAt);
    return (
      (!filters.type || alert.type === filters.type) &&
      (!filters.deviceId || alert.deviceId === filters.deviceId) &&
      received >= filters.from &&
      received < filters.to
    );
  }

  private updateStatus(): void {
    const count = this.rows.querySelectorAll('.history-row').length;
    this.status.textContent = count === 0 && this.done ? t('noHistory') : this.done ? t('noMore') : '';
  }

  private row(alert: Alert): HTMLElement {
    const type = el('td', { class: 'history-type' }, typeIcon(alert.type), ` ${typeLabel(alert.type)}`);
    type.style.color = TYPE_COLOURS[alert.type];
    return el(
      'tr',
      { class: 'history-row', 'data-alert-id': alert.id, 'data-received-at': alert.receivedAt },
      el('td', {}, formatDateTime(alert.receivedAt)),
      type,
      el('td', {}, alert.location ?? ''),
      el('td', {}, alert.deviceId),
      el('td', {}, alert.message ?? ''),
      el('td', {}, alert.acknowledgedBy ?? ''),
      el('td', {}, formatDateTime(alert.resolvedAt)),
      el('td', {}, alert.resolvedBy ?? ''),
      el('td', {}, [alert.acknowledgementNote, alert.resolutionNote].filter(Boolean).join(' / ')),
      el('td', {}, this.timelineToggle(alert)),
    );
  }

  /** Shows the alert's timeline in a row under its own, read when opened; again hides it. */
  private timelineToggle(alert: Alert): HTMLButtonElement {
    const button = el(
      'button',
      {
        type: 'button',
        class: 'history-timeline',
        'aria-expanded': 'false',
        'aria-label': `${t('timeline')} ${alert.id}`,
      },
      t('timeline'),
    );
    button.addEventListener('click', () => void this.toggleTimeline(alert, button));
    return button;
  }

  private async toggleTimeline(alert: Alert, button: HTMLButtonElement): Promise<void> {
    const row = button.closest('tr');
    const next = row?.nextElementSibling as HTMLElement | null;
    if (next?.classList.contains('history-timeline-row')) {
      next.remove();
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    const cell = el('td', { colspan: '10' }, t('timelineLoading'));
    row?.after(el('tr', { class: 'history-timeline-row', 'data-alert-id': alert.id }, cell));
    button.setAttribute('aria-expanded', 'true');
    try {
      cell.replaceChildren(timelineList(await getTimeline(alert.id)));
    } catch (error) {
      cell.textContent = t('loadFailed', { what: t('timeline'), error: (error as ApiError).message });
    }
  }
}
