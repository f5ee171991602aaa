import type { Alert } from '@app/contracts/wire';
import type { AlertCards } from './alert-cards';
import { el, placeInOrder } from './dom';
import { t } from './i18n';
import type { IncidentCards } from './incident-cards';
import { groupIncidents } from './incidents';

/**
 * Places the active alerts in #active-alerts, most urgent first: an alert alone as its card,
 * alerts pressed together as one incident card (incidents.ts). Nodes are moved only when out of
 * place, and only what changed is written, so a live event among 200 alerts costs little and
 * the focus or a note being typed survive it.
 */
export class ActiveBoard {
  private readonly empty = el('p', { class: 'empty' }, t('noActiveAlerts'));

  constructor(
    private readonly container: HTMLElement,
    private readonly cards: AlertCards,
    private readonly incidents: IncidentCards,
  ) {}

  render(alerts: Alert[], now = Date.now()): void {
    const incidents = groupIncidents(alerts, now);
    const grouped = incidents.filter((incident) => incident.alerts.length > 1);
    let focusRemoved = this.incidents.prune(new Set(grouped.map((incident) => incident.key)));
    focusRemoved = this.cards.prune(new Set(alerts.map((alert) => alert.id))) || focusRemoved;
    placeInOrder(
      this.container,
      incidents.map((incident) =>
        incident.alerts.length > 1
          ? this.incidents.card(incident, this.cards)
          : this.cards.card(incident.alerts[0]),
      ),
    );
    if (alerts.length === 0) this.container.append(this.empty);
    else this.empty.remove();
    // A keyboard user whose card went away (resolved here or elsewhere) goes on from the board.
    if (focusRemoved) this.container.focus();
  }

  tick(now = Date.now()): void {
    this.cards.tick(now);
    this.incidents.tick(now);
  }
}
