import type { Device } from '@app/contracts/wire';
import {
  DeviceCounts,
  Problem,
  byUrgency,
  matchesSearch,
  noCounts,
  problemsOf,
  sameDevice,
  searchKey,
  searchTerms,
  tally,
} from './device-attention';
import { el, placeInOrder, setAttribute, setText } from './dom';
import { formatDateTime, since, t } from './i18n';

/**
 * At most this many search results are drawn: a search is for finding one device or a room's
 * few, and a short query matching hundreds says how many more there are instead.
 */
export const SEARCH_SHOWN = 50;
/** A network cut can silence every button at once: the list stays drawable (it scrolls in its box). */
export const PROBLEMS_SHOWN = 200;

/** One known device and what the panel derived from it (recomputed only when it changes). */
interface Entry {
  device: Device;
  problems: Problem[];
  key: string;
}

/** The elements of the devices section (index.html). */
export interface DevicesView {
  /** The badge next to the section's title: how many devices need attention. */
  badge: HTMLElement;
  /** One `[data-count=…]` item per count, its number in `.device-count-n`. */
  counts: HTMLElement;
  problems: HTMLElement;
  problemsStatus: HTMLElement;
  search: HTMLInputElement;
  results: HTMLElement;
  resultsStatus: HTMLElement;
}

/**
 * The devices panel: counts by state, the devices that need attention (most serious first),
 * and a search for any other. With hundreds of buttons the healthy majority is a count, not a
 * row each. Rows are keyed by device id and updated in place, so a live event touches one
 * device's row and the counts, never the whole list.
 */
export class DevicesPanel {
  private entries = new Map<string, Entry>();
  private readonly touched = new Map<string, number>();
  private seq = 0;
  /** The agent version this server hands out (GET /agent/version), once known. */
  private currentAgent: string | null = null;
  private counts: DeviceCounts = noCounts();
  private terms: string[] = [];
  private readonly problemRows: RowList;
  private readonly resultRows: RowList;

  constructor(
    private readonly view: DevicesView,
    /** Called only when the set of device ids changes (the history's device filter). */
    private readonly idsChanged: (ids: string[]) => void,
  ) {
    view.counts.setAttribute('aria-label', t('deviceCounts'));
    this.problemRows = new RowList(view.problems, false);
    this.resultRows = new RowList(view.results, true);
    view.search.addEventListener('input', () => {
      this.terms = searchTerms(view.search.value);
      this.showResults();
    });
    this.showCounts();
    this.showProblems();
    this.showResults();
  }

  /** Devices whose agent is older are marked: running the install command again updates them. */
  setCurrentAgent(version: string): void {
    this.currentAgent = version;
    this.rebuild(this.list());
  }

  /** A live event: this device's entry, counts and rows change; the other rows are not touched. */
  apply(device: Device): void {
    const before = this.entries.get(device.id);
    const entry = this.entry(device, before);
    if (before) tally(this.counts, before.device, before.problems, -1);
    tally(this.counts, entry.device, entry.problems, 1);
    this.entries.set(device.id, entry);
    this.touched.set(device.id, ++this.seq);
    this.showCounts();
    if (before?.problems.length || entry.problems.length) this.showProblems();
    if (this.terms.length) this.showResults();
    if (!before) this.idsChanged(this.ids());
  }

  beginLoad(): number {
    return ++this.seq;
  }

  /** A live event newer than the start of the read wins over what the read returned. */
  finishLoad(devices: Device[], startSeq: number): void {
    const next = new Map(devices.map((device) => [device.id, device]));
    for (const [id, entry] of this.entries) {
      if ((this.touched.get(id) ?? 0) > startSeq) next.set(id, entry.device);
    }
    this.rebuild([...next.values()]);
  }

  /** Forgets every device and the search typed (signed out): nothing is left on screen. */
  clear(): void {
    this.touched.clear();
    this.view.search.value = '';
    this.terms = [];
    this.rebuild([]);
  }

  list(): Device[] {
    return [...this.entries.values()].map((entry) => entry.device);
  }

  /** Devices that need attention (the badge's number). */
  get problemCount(): number {
    return this.counts.problems;
  }

  /** The live clocks of the rows on screen only: a second's tick never walks every device. */
  tick(now = Date.now()): void {
    this.problemRows.tick(now);
    this.resultRows.tick(now);
  }

  /** After a full read or a new agent version: entries whose device is unchanged are kept. */
  private rebuild(devices: Device[]): void {
    const before = this.entries;
    this.entries = new Map(devices.map((device) => [device.id, this.entry(device, before.get(device.id))]));
    this.counts = noCounts();
    for (const entry of this.entries.values()) tally(this.counts, entry.device, entry.problems, 1);
    this.showCounts();
    this.showProblems();
    this.showResults();
    const sameIds =
      before.size === this.entries.size && [...before.keys()].every((id) => this.entries.has(id));
    if (!sameIds) this.idsChanged(this.ids());
  }

  /** The previous entry when nothing that is drawn changed (the row is then left alone). */
  private entry(device: Device, previous: Entry | undefined): Entry {
    const problems = problemsOf(device, this.currentAgent);
    if (previous && sameDevice(previous.device, device) && sameProblems(previous.problems, problems)) {
      return previous;
    }
    return { device, problems, key: searchKey(device) };
  }

  private ids(): string[] {
    return [...this.entries.keys()];
  }

  private showCounts(): void {
    const { badge, counts } = this.view;
    const values: Record<string, number> = { ...this.counts };
    counts.querySelectorAll<HTMLElement>('[data-count]').forEach((item) => {
      const value = values[item.dataset.count ?? ''] ?? 0;
      setText(item.querySelector('.device-count-n'), String(value));
      // A problem count above zero is highlighted; zero stays quiet.
      setAttribute(item, 'data-nonzero', value > 0 ? '' : null);
    });
    const problems = this.counts.problems;
    setText(badge, String(problems));
    // Neutral at zero: red only when something needs attention.
    setAttribute(badge, 'data-problems', problems > 0 ? '' : null);
    setAttribute(badge, 'title', t('problemBadge', { n: problems }));
  }

  private showProblems(): void {
    const problems = [...this.entries.values()]
      .filter((entry) => entry.problems.length > 0)
      .sort((a, b) => byUrgency(toRanked(a), toRanked(b)));
    this.problemRows.show(problems.slice(0, PROBLEMS_SHOWN), this.currentAgent);
    const more = problems.length - PROBLEMS_SHOWN;
    setText(
      this.view.problemsStatus,
      this.entries.size === 0
        ? t('noDevices')
        : problems.length === 0
          ? t('noProblems', { n: this.counts.online })
          : more > 0
            ? t('problemsMore', { n: more })
            : '',
    );
  }

  /** Re-filters every device: only on typing, or on a live event while a search is shown. */
  private showResults(): void {
    const { terms } = this;
    if (terms.length === 0) {
      this.resultRows.show([], this.currentAgent);
      setText(this.view.resultsStatus, '');
      return;
    }
    const exact = terms.join(' ');
    const found = [...this.entries.values()]
      .filter((entry) => matchesSearch(entry.key, terms))
      // The device whose id was typed in full comes first, then by id.
      .sort(
        (a, b) =>
          Number(b.device.id.toLowerCase() === exact) - Number(a.device.id.toLowerCase() === exact) ||
          a.device.id.localeCompare(b.device.id),
      );
    this.resultRows.show(found.slice(0, SEARCH_SHOWN), this.currentAgent);
    setText(
      this.view.resultsStatus,
      found.length === 0
        ? t('searchNone', { q: this.view.search.value.trim() })
        : found.length > SEARCH_SHOWN
          ? t('searchMore', { n: found.length, shown: SEARCH_SHOWN })
          : t('searchFound', { n: found.length }),
    );
  }
}

function toRanked(entry: Entry): { id: string; problems: Problem[] } {
  return { id: entry.device.id, problems: entry.problems };
}

function sameProblems(a: Problem[], b: Problem[]): boolean {
  return a.length === b.length && a.every((problem, i) => problem === b[i]);
}

/** The parts of a row, in the order they are shown; absent ones are detached. */
const PARTS = [
  'device-state',
  'device-id',
  'device-location',
  'device-last-seen',
  'device-spool',
  'device-version',
  'device-outdated',
] as const;
type Part = (typeof PARTS)[number];

interface Row {
  item: HTMLLIElement;
  parts: Record<Part, HTMLSpanElement>;
  /** The entry drawn, and with which agent version: the same again leaves the row alone. */
  drawn: Entry | null;
  drawnAgent: string | null;
}

/**
 * A list of device rows keyed by device id (as AlertCards does for alerts): `show` adds,
 * removes and moves rows, and redraws only those whose device changed. A `full` row (search
 * results) shows everything known; a problem row only what is wrong, to stay short.
 */
class RowList {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly container: HTMLElement,
    private readonly full: boolean,
  ) {}

  show(entries: Entry[], currentAgent: string | null): void {
    const ids = new Set(entries.map((entry) => entry.device.id));
    for (const [id, row] of this.rows) {
      if (!ids.has(id)) {
        row.item.remove();
        this.rows.delete(id);
      }
    }
    const now = Date.now();
    const items = entries.map((entry) => {
      let row = this.rows.get(entry.device.id);
      if (!row) {
        row = createRow();
        this.rows.set(entry.device.id, row);
      }
      if (row.drawn !== entry || row.drawnAgent !== currentAgent) {
        drawRow(row, entry, currentAgent, now, this.full);
        row.drawn = entry;
        row.drawnAgent = currentAgent;
      }
      return row.item;
    });
    placeInOrder(this.container, items);
  }

  tick(now: number): void {
    for (const row of this.rows.values()) {
      if (row.drawn) setPart(row, 'device-last-seen', lastSeen(row.drawn, now, this.full));
    }
  }
}

function createRow(): Row {
  const parts = Object.fromEntries(PARTS.map((part) => [part, el('span', { class: part })])) as Record<
    Part,
    HTMLSpanElement
  >;
  return { item: el('li', { class: 'device' }), parts, drawn: null, drawnAgent: null };
}

function drawRow(row: Row, entry: Entry, currentAgent: string | null, now: number, full: boolean): void {
  const { item } = row;
  const { device, problems } = entry;
  setAttribute(item, 'data-device-id', device.id);
  setAttribute(item, 'data-status', device.status);
  // The most serious problem colours the row; none for a healthy device (found by search).
  setAttribute(item, 'data-problem', problems[0] ?? null);
  setAttribute(item, 'data-never-seen', device.lastSeenAt === null ? '' : null);
  setAttribute(item, 'data-last-seen-at', device.lastSeenAt);
  setPart(row, 'device-state', device.lastSeenAt === null ? t('neverSeenState') : t(device.status));
  setPart(row, 'device-id', device.id);
  setPart(row, 'device-location', device.location || null);
  setPart(row, 'device-last-seen', lastSeen(entry, now, full));
  const backlog = problems.includes('backlog');
  const outdated = problems.includes('outdated');
  const spool = backlog
    ? t('spoolBacklog', { n: device.spoolDepth ?? 0 })
    : full
      ? t('spool', { n: device.spoolDepth ?? '—' })
      : null;
  setPart(row, 'device-spool', spool);
  setAttribute(row.parts['device-spool'], 'data-backlog', backlog ? '' : null);
  const version = device.agentVersion && (full || outdated) ? t('version', { v: device.agentVersion }) : null;
  setPart(row, 'device-version', version);
  setPart(row, 'device-outdated', outdated ? t('agentOutdated', { v: currentAgent ?? '' }) : null);
}

/**
 * Never seen; offline since when (what is wrong, and for how long); or when last heard, only
 * in a full row (on a problem row for a backlog, say, it would be noise).
 */
function lastSeen({ device }: Entry, now: number, full: boolean): string | null {
  if (device.lastSeenAt === null) return t('neverSeen');
  const age = since(device.lastSeenAt, now);
  if (device.status === 'offline') return t('offlineSince', { at: formatDateTime(device.lastSeenAt), age });
  return full ? t('lastSeen', { age }) : null;
}

/** Shows a part with this text (in its place among the others), or detaches it (null). */
function setPart(row: Row, part: Part, text: string | null): void {
  const span = row.parts[part];
  if (text === null) {
    span.remove();
    return;
  }
  setText(span, text);
  if (span.parentNode !== row.item) {
    const later = PARTS.slice(PARTS.indexOf(part) + 1)
      .map((name) => row.parts[name])
      .find((other) => other.parentNode === row.item);
    row.item.insertBefore(span, later ?? null);
  }
}
