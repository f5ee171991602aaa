import type { Alert } from '@app/contracts/wire';
import type { AlertAction } from './api';
import { TYPE_COLOURS, pressedAt, typeIcon } from './alert-types';
import { el } from './dom';
import { formatDateTime, since, t, typeLabel } from './i18n';
import { CardTimelines, timelineSection } from './timeline';

export type ActionHandler = (alert: Alert, action: AlertAction, card: HTMLElement) => void;

/**
 * The card of each active alert. Cards are kept and updated in place (not redrawn) so a note
 * being typed, or the keyboard focus, survives live updates; ActiveBoard places them.
 */
export class AlertCards {
  private readonly cards = new Map<string, HTMLElement>();
  /** Notes typed before the board was cleared (session ended), put back when the card returns. */
  private pendingDrafts = new Map<string, string>();

  constructor(
    private readonly container: HTMLElement,
    private readonly onAction: ActionHandler,
    private readonly timelines: CardTimelines,
  ) {}

  /** The card of `alert`, made or brought up to date; the caller places it. */
  card(alert: Alert): HTMLElement {
    let card = this.cards.get(alert.id);
    if (!card) {
      card = this.create(alert);
      this.cards.set(alert.id, card);
      // Its age at once; the others' are moved on by the 1 s tick, not by every live event.
      this.tickCard(card, Date.now());
    }
    // The same object means nothing changed: no DOM write, no style work, for 200 cards an event.
    if (this.latest.get(card) !== alert) this.update(card, alert);
    return card;
  }

  /** Removes the cards of alerts no longer active; true when the keyboard focus was in one. */
  prune(active: ReadonlySet<string>): boolean {
    let focusRemoved = false;
    for (const [id, card] of this.cards) {
      if (active.has(id)) continue;
      focusRemoved ||= card.contains(document.activeElement);
      card.remove();
      this.cards.delete(id);
      this.timelines.detach(id);
    }
    return focusRemoved;
  }

  /**
   * After an action from `card`, whose buttons were disabled meanwhile: gives the keyboard
   * focus back if it was lost, to the card's next step (Resolve once acknowledged), or to the
   * board when the card is gone.
   */
  restoreFocus(card: HTMLElement): void {
    const current = document.activeElement;
    const lost =
      !current ||
      current === document.body ||
      !current.isConnected ||
      (current instanceof HTMLButtonElement && current.disabled);
    if (!lost) return;
    if (card.isConnected) card.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    else this.container.focus();
  }

  /** The notes being typed, by alert id. */
  drafts(): Map<string, string> {
    const drafts = new Map<string, string>();
    for (const [id, card] of this.cards) {
      const note = card.querySelector<HTMLTextAreaElement>('.alert-note')?.value ?? '';
      if (note.trim()) drafts.set(id, note);
    }
    return drafts;
  }

  /** Notes to put back into these alerts' cards when they are drawn again (replaces any kept). */
  keepDrafts(drafts: Map<string, string>): void {
    this.pendingDrafts = new Map(drafts);
  }

  /** Refreshes the "time since the press" of every card (called every second). */
  tick(now = Date.now()): void {
    for (const card of this.cards.values()) this.tickCard(card, now);
  }

  private tickCard(card: HTMLElement, now: number): void {
    const age = card.querySelector<HTMLElement>('.alert-age');
    const pressed = Number(card.dataset.pressedAt);
    const text = since(new Date(pressed).toISOString(), now);
    // Written only when it changes: a text write costs a style pass, 200 cards every second.
    if (age && age.textContent !== text) age.textContent = text;
  }

  private create(alert: Alert): HTMLElement {
    const noteId = `note-${alert.id}`;
    const card = el(
      'article',
      {
        class: 'alert-card',
        'data-alert-id': alert.id,
        'data-type': alert.type,
        'data-severity': alert.severity,
      },
      el(
        'header',
        { class: 'alert-head' },
        el('span', { class: 'alert-type' }, typeIcon(alert.type), el('span', {}, typeLabel(alert.type))),
        el('span', { class: 'alert-status' }),
        el('time', { class: 'alert-age', datetime: alert.triggeredAt }),
      ),
      el('p', { class: 'alert-location' }, alert.location ?? ''),
      el('p', { class: 'alert-message' }, alert.message ?? ''),
      el(
        'p',
        { class: 'alert-meta' },
        el('span', { class: 'meta-label' }, `${t('device')} `),
        el('span', { class: 'alert-device' }, alert.deviceId),
        el('span', { class: 'meta-label' }, ` · ${t('button')} `),
        el('span', { class: 'alert-button' }, alert.button ?? '—'),
        el('span', { class: 'meta-label' }, ` · ${formatDateTime(alert.triggeredAt)}`),
      ),
      el('p', { class: 'alert-ack-info' }),
      timelineSection(),
      el(
        'div',
        { class: 'alert-actions' },
        el('label', { for: noteId, class: 'note-label' }, t('note')),
        el('textarea', { id: noteId, class: 'alert-note', rows: '1', maxlength: '500' }),
        el('button', { type: 'button', class: 'acknowledge' }, t('acknowledge')),
        el('button', { type: 'button', class: 'resolve' }, t('resolve')),
      ),
      el('p', { class: 'alert-error', role: 'alert' }),
    );
    const draft = this.pendingDrafts.get(alert.id);
    const note = card.querySelector<HTMLTextAreaElement>('.alert-note');
    if (draft !== undefined && note) note.value = draft;
    this.pendingDrafts.delete(alert.id);
    this.timelines.attach(alert.id, card.querySelector('.alert-timeline') as HTMLElement);
    card.style.setProperty('--type-colour', TYPE_COLOURS[alert.type]);
    card.dataset.pressedAt = String(pressedAt(alert));
    const label = `${typeLabel(alert.type)} ${alert.location ?? ''} ${alert.deviceId}`;
    card.setAttribute('aria-label', label);
    card.querySelector('button.acknowledge')?.addEventListener('click', () => {
      this.onAction(this.current(card), 'acknowledge', card);
    });
    card.querySelector('button.resolve')?.addEventListener('click', () => {
      this.onAction(this.current(card), 'resolve', card);
    });
    return card;
  }

  private readonly latest = new WeakMap<HTMLElement, Alert>();

  private current(card: HTMLElement): Alert {
    return this.latest.get(card) as Alert;
  }

  private update(card: HTMLElement, alert: Alert): void {
    const before = this.latest.get(card);
    // Acknowledging ends the escalation: the timeline says so at once, not at the next refresh.
    if (before && before.status !== alert.status) this.timelines.refresh([alert.id]);
    this.latest.set(card, alert);
    card.dataset.status = alert.status;
    const status = card.querySelector('.alert-status');
    if (status) status.textContent = t(alert.status);
    const ack = card.querySelector('.alert-ack-info');
    if (ack) {
      ack.textContent =
        alert.status === 'acknowledged'
          ? t('ackBy', { by: alert.acknowledgedBy ?? '?', at: formatDateTime(alert.acknowledgedAt) }) +
            (alert.acknowledgementNote ? ` — ${alert.acknowledgementNote}` : '')
          : '';
    }
    const acknowledge = card.querySelector<HTMLButtonElement>('button.acknowledge');
    if (acknowledge) acknowledge.disabled = alert.status !== 'open';
  }
}
