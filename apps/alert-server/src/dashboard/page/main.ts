import type { Alert } from '@app/contracts/wire';
import { ActiveAlerts } from './active-alerts';
import { ActiveBoard } from './active-board';
import { AddDeviceForm } from './add-device';
import { AlertCards } from './alert-cards';
import { Alarm } from './alarm';
import {
  ApiError,
  AlertAction,
  OperatorSession,
  getAgentVersion,
  getSession,
  handleAlert,
  listAllAlerts,
  listDevices,
  onUnauthorized,
  readableWithoutSession,
  signOut,
} from './api';
import { drawChart, loadChartData } from './chart';
import { DevicesPanel } from './devices-panel';
import { byId, el } from './dom';
import { History } from './history';
import { IncidentCards } from './incident-cards';
import type { Incident } from './incidents';
import { t, translateStatic } from './i18n';
import { LiveStream, followEvents } from './live';
import { RefreshSchedule } from './refresh-schedule';
import { CardTimelines } from './timeline';
import { mapLimited } from './timeline-data';
import { OPERATOR_KEY, SignInScreen } from './sign-in';

const DEVICES_REFRESH_MS = 30_000;
/** The chart follows live events; this re-read only moves the 30 days on after midnight. */
const CHART_REFRESH_MS = 5 * 60_000;
/**
 * Notifications reach the page by reading each active alert's timeline again: an escalation
 * step or a failed channel shows within this time.
 */
const TIMELINES_REFRESH_MS = 10_000;
/** After live changes, one chart re-read every 3 s at most; alerts arriving together wait 300 ms to be one. */
const CHART_MIN_INTERVAL_MS = 3_000;
const CHART_SETTLE_MS = 300;

/** Lab bench (VIGIE_AUTH=off): no sign-in, operators type their name; else a session. */
type Access = { kind: 'session'; session: OperatorSession } | { kind: 'open' };
/** What the page shows: nothing yet (asking the server), the sign-in form, or the board. */
let screen: 'starting' | 'sign-in' | 'board' = 'starting';
let access: Access | null = null;
/** Bumped each time the board is entered or left: answers for an earlier board are dropped. */
let boardEpoch = 0;
let live: LiveStream | null = null;
let expiryTimer: number | undefined;
const START_RETRY_MS = 5000;

translateStatic(document);

const messages = byId('messages');
/** Errors are shown in the page (never only in the console), each dismissible. */
function report(message: string): void {
  // A failure that sent the page back to the sign-in form says so there, not here.
  if (screen !== 'board') return;
  const close = el('button', { type: 'button', class: 'dismiss' }, t('dismiss'));
  const item = el('li', { class: 'message' }, el('span', {}, message), close);
  close.addEventListener('click', () => item.remove());
  messages.append(item);
  while (messages.childElementCount > 5) messages.firstElementChild?.remove();
}
const failure = (error: unknown): string =>
  error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);

// Operator name typed on the page and remembered on this browser: only without sign-in.
const operatorField = byId('operator');
const operator = byId<HTMLInputElement>('operator-name');
operator.value = localStorage.getItem(OPERATOR_KEY) ?? '';
operator.addEventListener('input', () => localStorage.setItem(OPERATOR_KEY, operator.value.trim()));

// The signed-in operator and the way out.
const sessionInfo = byId('session-info');
const sessionName = byId('session-name');
const signOutButton = byId<HTMLButtonElement>('sign-out');
signOutButton.addEventListener('click', () => void leaveOnPurpose());

const signInScreen = new SignInScreen(async () => {
  const session = await getSession();
  if (!session) return false;
  enterBoard({ kind: 'session', session });
  return true;
});

// Sound.
const soundControls = byId('sound');
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
const timelines = new CardTimelines();
const cards = new AlertCards(
  byId('active-alerts'),
  (alert, action, card) => void act(alert, action, card),
  timelines,
);
const incidentCards = new IncidentCards(
  (incident, action, element) => void actOnAll(incident, action, element),
  (alertIds) => timelines.refresh(alertIds),
);
const activeBoard = new ActiveBoard(byId('active-alerts'), cards, incidentCards);
const active = new ActiveAlerts(() => {
  activeBoard.render(active.list());
  const open = active.openCount;
  document.title = open > 0 ? `(${open}) Vigie` : 'Vigie';
  byId('active-count').textContent = String(active.list().length);
  alarm.setActive(open > 0);
});

/**
 * Who acts: null signed in (the server records the session's operator), the name typed on a lab
 * bench (the body's `by`); undefined when that name is missing, which `error` then says.
 */
function actingOperator(error: HTMLElement | null): string | null | undefined {
  const by = access?.kind === 'session' ? null : operator.value.trim();
  if (error) error.textContent = '';
  if (by !== '') return by;
  if (error) error.textContent = t('nameRequired');
  operator.focus();
  return undefined;
}

async function act(alert: Alert, action: AlertAction, card: HTMLElement): Promise<void> {
  const error = card.querySelector<HTMLElement>('.alert-error');
  const note = card.querySelector<HTMLTextAreaElement>('.alert-note');
  const by = actingOperator(error);
  if (by === undefined) return;
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
    if (hadFocus && screen === 'board') cards.restoreFocus(card);
  }
}

/** At most this many requests at once for "acknowledge all": quick, without a burst of 40. */
const ALL_AT_ONCE = 4;

/**
 * "Acknowledge all" or "Resolve all" on an incident card: each alert handled on its own request,
 * so the server records each one under the operator with the note, as if done card by card.
 * Those that fail are named by count with the first error; the others are done.
 */
async function actOnAll(incident: Incident, action: AlertAction, element: HTMLElement): Promise<void> {
  const error = element.querySelector<HTMLElement>(':scope > .alert-error');
  const note = element.querySelector<HTMLTextAreaElement>(':scope > .alert-actions .alert-note');
  const by = actingOperator(error);
  if (by === undefined) return;
  const targets = incident.alerts.filter((alert) => action === 'resolve' || alert.status === 'open');
  const hadFocus = element.contains(document.activeElement);
  const buttons = element.querySelectorAll<HTMLButtonElement>(':scope > .alert-actions button');
  element.dataset.busy = 'true';
  buttons.forEach((button) => (button.disabled = true));
  const failures: unknown[] = [];
  try {
    await mapLimited(targets, ALL_AT_ONCE, async (alert) => {
      try {
        const updated = await handleAlert(alert.id, action, by, note?.value.trim() ?? '');
        active.apply(updated);
        history.add(updated);
      } catch (caught) {
        failures.push(caught);
      }
    });
    if (failures.length === 0 && note) note.value = '';
    if (failures.length > 0 && error) {
      error.textContent = t('incidentActionFailed', {
        action: t(action).toLowerCase(),
        failed: failures.length,
        n: targets.length,
        error: failure(failures[0]),
      });
    }
  } finally {
    delete element.dataset.busy;
    buttons.forEach((button) => (button.disabled = false));
    if (element.isConnected) {
      const current = incidentCards.current(element);
      const acknowledgeAll = element.querySelector<HTMLButtonElement>('button.acknowledge-all');
      if (acknowledgeAll) acknowledgeAll.disabled = !current.alerts.some((alert) => alert.status === 'open');
    }
    if (hadFocus && screen === 'board') cards.restoreFocus(element);
  }
}

// Devices.
// The history's device filter is rebuilt only when a device appears or goes: with a thousand
// buttons, rebuilding its options on every live event would cost more than the event itself.
const devices = new DevicesPanel(
  {
    badge: byId('device-problem-count'),
    counts: byId('device-counts'),
    problems: byId('device-problems'),
    problemsStatus: byId('device-problems-status'),
    search: byId<HTMLInputElement>('device-search'),
    results: byId('device-results'),
    resultsStatus: byId('device-search-status'),
  },
  (ids) => history.setDevices(ids),
);
// The device is listed once its Pi used the code (never seen until it speaks): the periodic
// re-read of the devices, or its first heartbeat's live event, shows it.
const addDevice = new AddDeviceForm();

async function loadActive(): Promise<void> {
  const epoch = boardEpoch;
  const start = active.beginLoad();
  try {
    const [open, acknowledged] = await Promise.all([listAllAlerts('open'), listAllAlerts('acknowledged')]);
    if (epoch === boardEpoch) active.finishLoad([...open, ...acknowledged], start);
  } catch (error) {
    report(t('loadFailed', { what: t('activeAlerts'), error: failure(error) }));
  }
}

async function loadDevices(): Promise<void> {
  const epoch = boardEpoch;
  const start = devices.beginLoad();
  try {
    const list = await listDevices();
    if (epoch === boardEpoch) devices.finishLoad(list, start);
  } catch (error) {
    report(t('loadFailed', { what: t('devices'), error: failure(error) }));
  }
}

async function loadChart(): Promise<void> {
  if (screen !== 'board') return; // a re-read scheduled before a sign-out
  const epoch = boardEpoch;
  try {
    const data = await loadChartData();
    if (epoch === boardEpoch) drawChart(byId('chart-per-day'), byId('median-ack'), data);
  } catch (error) {
    report(t('loadFailed', { what: t('chart'), error: failure(error) }));
  }
}
// Counts per day and the median time to acknowledge change with every alert event.
const chart = new RefreshSchedule(loadChart, CHART_MIN_INTERVAL_MS, CHART_SETTLE_MS);

function loadAll(): void {
  void loadActive();
  void loadDevices();
  // Only marks outdated agents: a failed read leaves them unmarked, nothing else.
  getAgentVersion().then(
    (version) => devices.setCurrentAgent(version),
    () => undefined,
  );
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

const board = byId('board');

/** Shows the board for a session (its operator named, Sign out) or for a lab bench (name field). */
function enterBoard(granted: Access): void {
  access = granted;
  screen = 'board';
  boardEpoch++;
  signInScreen.hide();
  board.hidden = false;
  connection.hidden = false;
  soundControls.hidden = false;
  const signedIn = granted.kind === 'session';
  sessionInfo.hidden = !signedIn;
  operatorField.hidden = signedIn;
  if (granted.kind === 'session') {
    sessionName.textContent = granted.session.name;
    scheduleExpiryCheck(granted.session.expiresAt);
  }
  showConnection('reconnecting', t('connecting'));
  live?.close();
  live = followEvents({
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
    disconnected: () => {
      showConnection('reconnecting', t('reconnecting'));
      void checkAccess();
    },
  });
  loadAll();
}

/** Back to the sign-in form: the stream closed, the board emptied, nothing left on screen. */
function leaveBoard(notice: string, kind: 'error' | 'info'): void {
  const keepDrafts = screen === 'board' && kind === 'error';
  const drafts = cards.drafts();
  if (access?.kind === 'session') signInScreen.rememberName(access.session.name);
  screen = 'sign-in';
  access = null;
  boardEpoch++;
  live?.close();
  live = null;
  window.clearTimeout(expiryTimer);
  board.hidden = true;
  connection.hidden = true;
  soundControls.hidden = true;
  sessionInfo.hidden = true;
  operatorField.hidden = true;
  messages.replaceChildren();
  timelines.clear();
  active.clear();
  devices.clear();
  addDevice.clear();
  history.clear();
  byId('chart-per-day').replaceChildren();
  byId('median-ack').textContent = '';
  // A session that ended under the operator's hands: the notes typed come back after sign-in.
  cards.keepDrafts(keepDrafts ? drafts : new Map<string, string>());
  signInScreen.show(notice, kind);
}

async function leaveOnPurpose(): Promise<void> {
  signOutButton.disabled = true;
  try {
    await signOut();
    leaveBoard(t('signedOut'), 'info');
  } catch (error) {
    // Still signed in on the server: stay, so nobody walks away believing otherwise.
    report(t('signOutFailed', { error: failure(error) }));
  } finally {
    signOutButton.disabled = false;
  }
}

// A 401 on the board: the session expired or was ended elsewhere (or a lab bench now wants a sign-in).
onUnauthorized(() => {
  if (screen === 'board') leaveBoard(t('sessionEnded'), 'error');
});

/**
 * After the stream failed, or at the session's expiry: is the page still allowed in? An
 * EventSource cannot tell a 401 from a server restart; this asks. Unreachable: the stream's
 * own reconnection goes on.
 */
async function checkAccess(): Promise<void> {
  const granted = access;
  if (screen !== 'board' || !granted) return;
  const epoch = boardEpoch;
  try {
    if (granted.kind === 'session') {
      const session = await getSession();
      if (epoch !== boardEpoch) return;
      if (!session) leaveBoard(t('sessionEnded'), 'error');
      else {
        granted.session = session;
        scheduleExpiryCheck(session.expiresAt);
      }
    } else if (!(await readableWithoutSession()) && epoch === boardEpoch) {
      leaveBoard(t('sessionEnded'), 'error');
    }
  } catch {
    // server away: the stream reconnects by itself and re-reads everything once back
  }
}

function scheduleExpiryCheck(expiresAt: string): void {
  window.clearTimeout(expiryTimer);
  const wait = Date.parse(expiresAt) - Date.now() + 1000;
  // Beyond setTimeout's range (about 24 days) the next check comes from any 401 instead.
  if (Number.isFinite(wait) && wait < 2 ** 31 - 1) {
    expiryTimer = window.setTimeout(() => void checkAccess(), Math.max(0, wait));
  }
}

/**
 * Which screen to show: the board for a live session; without one, the board still when the
 * alerts can be read without signing in (VIGIE_AUTH=off), else the sign-in form.
 */
async function start(): Promise<void> {
  // The operator may have signed in through the form meanwhile (a retry after "unreachable").
  const signedInMeanwhile = (): boolean => screen === 'board' || signInScreen.attempting;
  try {
    const session = await getSession();
    if (signedInMeanwhile()) return;
    if (session) return enterBoard({ kind: 'session', session });
    const open = await readableWithoutSession();
    if (signedInMeanwhile()) return;
    if (open) return enterBoard({ kind: 'open' });
    screen = 'sign-in';
    connection.hidden = true;
    // Back after "unreachable": that notice goes, not what an attempt meanwhile has said.
    if (signInScreen.visible) signInScreen.clearNotice(t('startUnreachable'));
    else signInScreen.show();
  } catch {
    // Server unreachable (or failing): say so on the sign-in screen and ask again shortly.
    if (signedInMeanwhile()) return;
    screen = 'sign-in';
    connection.hidden = true;
    signInScreen.show(t('startUnreachable'));
    window.setTimeout(() => {
      if (screen === 'sign-in' && !signInScreen.attempting) void start();
    }, START_RETRY_MS);
  }
}
void start();

// Live clocks; devices re-read for last-seen and spool depth, which heartbeats change silently.
window.setInterval(() => {
  if (screen !== 'board') return;
  cards.tick();
  devices.tick();
}, 1000);
window.setInterval(() => {
  if (screen === 'board') void loadDevices();
}, DEVICES_REFRESH_MS);
window.setInterval(() => {
  if (screen === 'board') chart.reloadNow();
}, CHART_REFRESH_MS);
window.setInterval(() => {
  if (screen === 'board') timelines.refresh();
}, TIMELINES_REFRESH_MS);
