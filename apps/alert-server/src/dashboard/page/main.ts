import type { Alert } from '@app/contracts';
import { ActiveAlerts } from './active-alerts';
import { AlertCards } from './alert-cards';
import { Alarm } from './alarm';
import { ApiError, AlertAction, handleAlert, listAllAlerts, listDevices } from './api';
import { drawChart, loadChartData } from './chart';
import { DevicesPanel } from './devices-panel';
import { byId, el } from './dom';
import { History } from './history';
import { t, translateStatic } from './i18n';
import { followEvents } from './live';
import { RefreshSchedule } from './refresh-schedule';

const OPERATOR_KEY = 'vigie.operator';
const DEVICES_REFRESH_MS = 30_000;
/** The chart follows live events; this re-read only moves the 30 days on after midnight. */
const CHART_REFRESH_MS = 5 * 60_000;
/** After live changes, one chart re-read every 3 s at most; alerts arriving together wait 300 ms to be one. */
const CHART_MIN_INTERVAL_MS = 3_000;
const CHART_SETTLE_MS = 300;

translateStatic(document);

const messages = byId('messages');
/** Errors are shown in the page (never only in the console), each dismissible. */
function report(message: string): void {
  const close = el('button', { type: 'button', class: 'dismiss' }, t('dismiss'));
  const item = el('li', { class: 'message' }, el('span', {}, message), close);
  close.addEventListener('click', () => item.remove());
  messages.append(item);
  while (messages.childElementCount > 5) messages.firstElementChild?.remove();
}
const failure = (error: unknown): string =>
  error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);

// Operator name, remembered on this browser.
const operator = byId<HTMLInputElement>('operator-name');
operator.value = localStorage.getItem(OPERATOR_KEY) ?? '';
operator.addEventListener('input', () => localStorage.setItem(OPERATOR_KEY, operator.value.trim()));

// Sound.
const soundEnable = byId<HTMLButtonElement>('sound-enable');
const soundMute = byId<HTMLButtonElement>('sound-mute');
const alarm = new Alarm(() => {
  soundEnable.textContent = alarm.enabled ? t('soundOn') : t('enableSound');
  soundEnable.setAttribute('aria-pressed', String(alarm.enabled));
  soundMute.textContent = alarm.muted ? t('unmute') : t('mute');
  soundMute.setAttribute('aria-pressed', String(alarm.muted));
});
const enableSound = (): void => {
  alarm.enable().catch((error: unknown) => report(failure(error)));
};
soundEnable.addEventListener('click', enableSound);
soundMute.addEventListener('click', () => alarm.toggleMute());
// Any gesture on the page satisfies the browser's autoplay rule.
document.addEventListener('pointerdown', () => alarm.enabled || enableSound(), { once: true });
document.addEventListener('keydown', () => alarm.enabled || enableSound(), { once: true });

// Active alerts.
const history = new History(report);
const cards = new AlertCards(byId('active-alerts'), (alert, action, card) => void act(alert, action, card));
const active = new ActiveAlerts(() => {
  cards.render(active.list());
  const open = active.openCount;
  document.title = open > 0 ? `(${open}) Vigie` : 'Vigie';
  byId('active-count').textContent = String(active.list().length);
  alarm.setActive(open > 0);
});

async function act(alert: Alert, action: AlertAction, card: HTMLElement): Promise<void> {
  const error = card.querySelector<HTMLElement>('.alert-error');
  const note = card.querySelector<HTMLTextAreaElement>('.alert-note');
  const by = operator.value.trim();
  if (error) error.textContent = '';
  if (!by) {
    if (error) error.textContent = t('nameRequired');
    operator.focus();
    return;
  }
  const hadFocus = card.contains(document.activeElement);
  const buttons = card.querySelectorAll<HTMLButtonElement>('button');
  buttons.forEach((button) => (button.disabled = true));
  try {
    const updated = await handleAlert(alert.id, action, by, note?.value.trim() ?? '');
    if (note) note.value = '';
    active.apply(updated);
    history.add(updated);
  } catch (caught) {
    if (error)
      error.textContent = t('actionFailed', { action: t(action).toLowerCase(), error: failure(caught) });
  } finally {
    buttons.forEach((button) => (button.disabled = false));
    const current = active.get(alert.id);
    const acknowledge = card.querySelector<HTMLButtonElement>('button.acknowledge');
    if (current && acknowledge) acknowledge.disabled = current.status !== 'open';
    if (hadFocus) cards.restoreFocus(card);
  }
}

// Devices.
const devices = new DevicesPanel(byId('devices'), () => {
  history.setDevices(devices.list().map((device) => device.id));
  byId('offline-count').textContent = String(devices.offlineCount);
});

async function loadActive(): Promise<void> {
  const start = active.beginLoad();
  try {
    const [open, acknowledged] = await Promise.all([listAllAlerts('open'), listAllAlerts('acknowledged')]);
    active.finishLoad([...open, ...acknowledged], start);
  } catch (error) {
    report(t('loadFailed', { what: t('activeAlerts'), error: failure(error) }));
  }
}

async function loadDevices(): Promise<void> {
  const start = devices.beginLoad();
  try {
    devices.finishLoad(await listDevices(), start);
  } catch (error) {
    report(t('loadFailed', { what: t('devices'), error: failure(error) }));
  }
}

async function loadChart(): Promise<void> {
  try {
    drawChart(byId('chart-per-day'), byId('median-ack'), await loadChartData());
  } catch (error) {
    report(t('loadFailed', { what: t('chart'), error: failure(error) }));
  }
}
// Counts per day and the median time to acknowledge change with every alert event.
const chart = new RefreshSchedule(loadChart, CHART_MIN_INTERVAL_MS, CHART_SETTLE_MS);

function loadAll(): void {
  void loadActive();
  void loadDevices();
  void history.reload();
  chart.reloadNow();
}

// Connection state, and a full re-read after a reconnection so nothing missed is lost.
const connection = byId('connection-state');
function showConnection(state: 'connected' | 'reconnecting', label: string): void {
  connection.dataset.state = state;
  connection.textContent = label;
}
showConnection('reconnecting', t('connecting'));
followEvents({
  alert: (alert) => {
    active.apply(alert);
    history.add(alert);
    chart.changed();
  },
  device: (device) => devices.apply(device),
  connected: (afterLoss) => {
    showConnection('connected', t('connected'));
    if (afterLoss) loadAll();
  },
  disconnected: () => showConnection('reconnecting', t('reconnecting')),
});
loadAll();

// Live clocks; devices re-read for last-seen and spool depth, which heartbeats change silently.
window.setInterval(() => {
  cards.tick();
  devices.tick();
}, 1000);
window.setInterval(() => void loadDevices(), DEVICES_REFRESH_MS);
window.setInterval(() => chart.reloadNow(), CHART_REFRESH_MS);
