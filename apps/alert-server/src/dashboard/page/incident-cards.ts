import type { AlertAction } from './api';
import type { AlertCards } from './alert-cards';
import { TYPE_COLOURS, typeIcon } from './alert-types';
import { el, placeInOrder, setAttribute, setText } from './dom';
import { formatDateTime, since, t, typeLabel } from './i18n';
import type { Incident } from './incidents';

export type IncidentActionHandler = (incident: Incident, action: AlertAction, element: HTMLElement) => void;

/** Places named on the card before "+N more": the rest are one click away, in the list. */
const PLACES_SHOWN = 6;

/**
 * The card of an incident (several alerts of one type pressed together): how many, where, the
 * first press, "acknowledge all" and "resolve all" (each alert still handled one by one on the
 * server), and the alerts' own cards in a list that opens. Kept and updated in place, like the
 * alert cards, so an open list, a note being typed or the focus survive live updates.
 */
export class IncidentCards {
  private readonly elements = new Map<string, HTMLElement>();
  private readonly latest = new WeakMap<HTMLElement, Incident>();

  constructor(
    private readonly onAction: IncidentActionHandler,
    /** The list of an incident was opened: its alerts' cards come into view. */
    private readonly onOpen: (alertIds: string[]) => void,
  ) {}

  /** The card of `incident`, its alerts' cards placed inside, most urgent first. */
  card(incident: Incident, cards: AlertCards): HTMLElement {
    let element = this.elements.get(incident.key);
    const made = !element;
    if (!element) {
      element = this.create(incident);
      this.elements.set(incident.key, element);
    }
    this.latest.set(element, incident);
    this.update(element, incident);
    // Its age at once; after that the 1 s tick moves it on.
    if (made) this.tickOne(element, Date.now());
    const list = element.querySelector('.incident-list') as HTMLElement;
    placeInOrder(
      list,
      incident.alerts.map((alert) => cards.card(alert)),
    );
    return element;
  }

  /** Removes the cards of incidents no longer on the board; true when the focus was in one. */
  prune(keys: ReadonlySet<string>): boolean {
    let focusRemoved = false;
    for (const [key, element] of this.elements) {
      if (keys.has(key)) continue;
      focusRemoved ||= element.contains(document.activeElement);
      element.remove();
      this.elements.delete(key);
    }
    return focusRemoved;
  }

  current(element: HTMLElement): Incident {
    return this.latest.get(element) as Incident;
  }

  tick(now = Date.now()): void {
    for (const element of this.elements.values()) this.tickOne(element, now);
  }

  private tickOne(element: HTMLElement, now: number): void {
    const age = element.querySelector<HTMLElement>('.incident-age');
    const first = this.latest.get(element)?.firstPressAt;
    if (!age || first === undefined) return;
    const text = since(new Date(first).toISOString(), now);
    if (age.textContent !== text) age.textContent = text;
  }

  private create(incident: Incident): HTMLElement {
    const noteId = `note-incident-${incident.key}`;
    const element = el(
      'article',
      { class: 'incident-card', 'data-incident': incident.key, 'data-type': incident.type },
      el(
        'header',
        { class: 'alert-head' },
        el(
          'span',
          { class: 'alert-type' },
          typeIcon(incident.type),
          el('span', {}, typeLabel(incident.type)),
        ),
        el('span', { class: 'incident-count' }),
        el('span', { class: 'alert-status' }),
        el('time', { class: 'incident-age' }),
      ),
      el('p', { class: 'incident-first' }),
      el('p', { class: 'incident-places' }),
      el(
        'div',
        { class: 'alert-actions' },
        el('label', { for: noteId, class: 'note-label' }, t('note')),
        el('textarea', { id: noteId, class: 'alert-note', rows: '1', maxlength: '500' }),
        el('button', { type: 'button', class: 'acknowledge-all' }),
        el('button', { type: 'button', class: 'resolve-all' }),
      ),
      el('p', { class: 'alert-error', role: 'alert' }),
      el('details', { class: 'incident-alerts' }, el('summary', {}), el('div', { class: 'incident-list' })),
    );
    element.style.setProperty('--type-colour', TYPE_COLOURS[incident.type]);
    element.querySelector('button.acknowledge-all')?.addEventListener('click', () => {
      this.onAction(this.current(element), 'acknowledge', element);
    });
    element.querySelector('button.resolve-all')?.addEventListener('click', () => {
      this.onAction(this.current(element), 'resolve', element);
    });
    const list = element.querySelector('details.incident-alerts') as HTMLDetailsElement;
    list.addEventListener('toggle', () => {
      if (list.open) this.onOpen(this.current(element).alerts.map((alert) => alert.id));
    });
    return element;
  }

  private update(element: HTMLElement, incident: Incident): void {
    const open = incident.alerts.filter((alert) => alert.status === 'open').length;
    const total = incident.alerts.length;
    setAttribute(element, 'data-status', open > 0 ? 'open' : 'acknowledged');
    // The severity of its most urgent alert, which ranks it on the board.
    setAttribute(element, 'data-severity', incident.alerts[0].severity);
    setText(element.querySelector('.incident-count'), t('incidentCount', { n: total }));
    setText(
      element.querySelector('.alert-status'),
      open > 0 ? t('incidentToAcknowledge', { n: open }) : t('incidentAllAcknowledged'),
    );
    const first = new Date(incident.firstPressAt).toISOString();
    setText(element.querySelector('.incident-first'), t('firstPress', { at: formatDateTime(first) }));
    const places = incident.alerts.map((alert) =>
      alert.location ? `${alert.location} (${alert.deviceId})` : alert.deviceId,
    );
    const shown = [...new Set(places)].sort((a, b) => a.localeCompare(b));
    const more = shown.length - PLACES_SHOWN;
    setText(
      element.querySelector('.incident-places'),
      shown.slice(0, PLACES_SHOWN).join(' · ') + (more > 0 ? ` ${t('morePlaces', { n: more })}` : ''),
    );
    setText(element.querySelector(':scope > details > summary'), t('showAlerts', { n: total }));
    setText(element.querySelector('button.acknowledge-all'), t('acknowledgeAll', { n: open }));
    setText(element.querySelector('button.resolve-all'), t('resolveAll', { n: total }));
    const acknowledgeAll = element.querySelector<HTMLButtonElement>('button.acknowledge-all');
    if (acknowledgeAll && !element.dataset.busy) acknowledgeAll.disabled = open === 0;
    element.setAttribute('aria-label', `${typeLabel(incident.type)} ${t('incidentCount', { n: total })}`);
  }
}
