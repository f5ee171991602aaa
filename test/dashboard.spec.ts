import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page, Request, Route } from 'playwright-core';
import { BrowserSession, UI_TIMEOUT_MS, WatchedPage, freePort } from './support/browser';
import {
  REPO_ROOT,
  ServerProcess,
  cleanupServerProcesses,
  describeExit,
  request,
} from './support/server-process';

/**
 * The security-post dashboard (issue 4, acceptance) in Debian's Chromium against the real, built
 * alert server: live alerts, handling from two pages at once, history, reload, device
 * supervision, server text shown as text, reconnection after a restart, and the screenshot the
 * README links. Build first (`npm run build`): the page is served from dist/.
 */

const SERVER_ENV = { VIGIE_AUTH: 'off', VIGIE_DEVICE_OFFLINE_AFTER_S: '2' };
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const SCREENSHOT = join(ARTIFACTS, 'dashboard.png');

interface AlertBody {
  deviceId: string;
  type: 'fire' | 'intrusion' | 'medical' | 'panic' | 'test';
  severity?: string;
  location?: string;
  message?: string;
  button?: string;
  triggeredAt?: string;
}

interface Alert extends AlertBody {
  id: string;
  status: 'open' | 'acknowledged' | 'resolved';
  acknowledgedBy: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

let session: BrowserSession | undefined;
/** The server most tests share; each test starts with no active alert (see beforeEach). */
let server: ServerProcess;
/** Servers a single test started (restart, screenshot): killed after that test, pass or fail. */
const ownServers: ServerProcess[] = [];
let deviceCounter = 0;

/** A device id no other test uses. */
function deviceId(name: string): string {
  deviceCounter += 1;
  return `pi-${name}-${deviceCounter}`;
}

async function postAlert(baseUrl: string, body: AlertBody): Promise<Alert> {
  const answer = await request(baseUrl, 'POST', '/alerts', body);
  if (answer.status !== 201) throw new Error(`POST /alerts: ${answer.status} ${answer.text}`);
  return answer.json as Alert;
}

async function getAlert(baseUrl: string, id: string): Promise<Alert> {
  const answer = await request(baseUrl, 'GET', `/alerts/${id}`);
  expect(answer.status).toBe(200);
  return answer.json as Alert;
}

async function heartbeat(baseUrl: string, id: string, location: string): Promise<void> {
  const answer = await request(baseUrl, 'PUT', `/devices/${id}/heartbeat`, {
    location,
    agentVersion: '0.1.0',
    spoolDepth: 0,
    uptimeSeconds: 3600,
  });
  if (answer.status !== 204) throw new Error(`heartbeat ${id}: ${answer.status} ${answer.text}`);
}

/** Heartbeats every 500 ms (a live agent) until the returned function is called. */
function keepBeating(baseUrl: string, devices: Array<[id: string, location: string]>): () => void {
  const beat = () =>
    devices.forEach(([id, location]) => void heartbeat(baseUrl, id, location).catch(() => {}));
  beat();
  const timer = setInterval(beat, 500);
  return () => clearInterval(timer);
}

/** Resolves every open and acknowledged alert through the API, so a test starts with an empty board. */
async function resolveAllActive(baseUrl: string): Promise<void> {
  for (const status of ['open', 'acknowledged']) {
    const page = await request(baseUrl, 'GET', `/alerts?status=${status}&limit=500`);
    expect(page.status).toBe(200);
    for (const alert of (page.json as { items: Alert[] }).items) {
      const done = await request(baseUrl, 'POST', `/alerts/${alert.id}/resolve`, { by: 'test-reset' });
      expect(done.status).toBe(200);
    }
  }
}

// --- the page's hooks ---------------------------------------------------------------------------

function card(page: Page, id: string, status?: 'open' | 'acknowledged'): Locator {
  const withStatus = status ? `[data-status="${status}"]` : '';
  return page.locator(`#active-alerts .alert-card[data-alert-id="${id}"]${withStatus}`);
}

function historyRow(page: Page, id: string): Locator {
  return page.locator(`#history .history-row[data-alert-id="${id}"]`);
}

function deviceRow(page: Page, id: string, status?: 'online' | 'offline'): Locator {
  const withStatus = status ? `[data-status="${status}"]` : '';
  return page.locator(`#devices .device[data-device-id="${id}"]${withStatus}`);
}

async function waitConnected(page: Page, timeout = UI_TIMEOUT_MS): Promise<void> {
  await page.locator('#connection-state[data-state="connected"]').waitFor({ state: 'attached', timeout });
}

/** The tab title starts with "(count)" (the open count). */
async function waitTitleCount(page: Page, count: number): Promise<void> {
  await page
    .waitForFunction((n) => document.title.startsWith(`(${n})`), count, { timeout: UI_TIMEOUT_MS })
    .catch(async (error: Error) => {
      throw new Error(`title should start with "(${count})", is "${await page.title()}": ${error.message}`);
    });
}

/** The active board as [id, status] pairs, in the page's order. */
function activeBoard(page: Page): Promise<Array<[string | null, string | null]>> {
  return page
    .locator('#active-alerts .alert-card')
    .evaluateAll((cards) =>
      cards.map((c) => [c.getAttribute('data-alert-id'), c.getAttribute('data-status')]),
    );
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

/** A fresh browser context on the dashboard, live (connected) before it returns. */
async function openDashboard(baseUrl: string, locale = 'en-US'): Promise<WatchedPage> {
  const watched = await session!.newPage({ locale });
  await watched.page.goto(baseUrl);
  await waitConnected(watched.page);
  return watched;
}

function expectNoErrors(watched: WatchedPage): void {
  expect({ consoleErrors: watched.consoleErrors, pageErrors: watched.pageErrors }).toEqual({
    consoleErrors: [],
    pageErrors: [],
  });
}

/** Acknowledges or resolves through the card, with a note, as the operator already named on the page. */
async function handle(
  page: Page,
  id: string,
  action: 'acknowledge' | 'resolve',
  note: string,
): Promise<void> {
  const target = card(page, id);
  await target.locator('.alert-note').fill(note);
  await target.locator(`button.${action}`).click();
}

/** What has the keyboard focus: a description for messages, and whether its focus ring shows. */
function focused(page: Page): Promise<{ matches: boolean; what: string; ring: boolean }> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || active === document.body) {
      return { matches: false, what: 'nothing (body)', ring: false };
    }
    const style = getComputedStyle(active);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== 'none';
    const what = `${active.tagName.toLowerCase()}${active.id ? `#${active.id}` : ''}.${active.className}`;
    return { matches: active.matches(':focus-visible'), what, ring: outline || shadow };
  });
}

/** Presses Tab (and nothing else) until `target` has the focus; fails after `max` presses. */
async function tabTo(page: Page, target: Locator, max = 40): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((element) => element === document.activeElement)) return presses;
  }
  throw new Error(`not reached with ${max} Tab presses (focus on ${(await focused(page)).what})`);
}

/** Boxes of the visible controls of `scope` smaller than `min` CSS px in either dimension. */
function smallTargets(scope: Locator, min: number): Promise<string[]> {
  return scope.evaluateAll(
    (elements, least) =>
      elements
        .filter((element) => element.getClientRects().length > 0)
        .map((element) => ({ element, box: element.getBoundingClientRect() }))
        .filter(({ box }) => box.width < least || box.height < least)
        .map(
          ({ element, box }) =>
            `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}.${element.className} ` +
            `${Math.round(box.width)}×${Math.round(box.height)}`,
        ),
    min,
  );
}

// --- lifecycle ----------------------------------------------------------------------------------

beforeAll(async () => {
  // Both settle before this returns: a browser launched while the server failed must still be
  // known to afterAll, or its pipe would keep Jest from exiting.
  const [browser, started] = await Promise.allSettled([
    BrowserSession.launch(),
    ServerProcess.start({ env: SERVER_ENV }),
  ]);
  if (browser.status === 'fulfilled') session = browser.value;
  if (started.status === 'fulfilled') server = started.value;
  for (const result of [browser, started]) if (result.status === 'rejected') throw result.reason;
}, 45_000);

beforeEach(async () => {
  await resolveAllActive(server.url);
});

afterEach(async () => {
  await session?.closeContexts();
  await Promise.all(ownServers.splice(0).map((own) => own.kill('SIGKILL')));
});

afterAll(async () => {
  await session?.close();
  await cleanupServerProcesses();
});

// --- specs --------------------------------------------------------------------------------------

describe('security-post dashboard (browser)', () => {
  it('loads with no console error, every control in place and nothing from outside the server', async () => {
    const watched = await session!.newPage();
    const { page } = watched;
    const outside: string[] = [];
    page.on('request', (req: Request) => {
      const url = req.url();
      if (!url.startsWith(server.url) && !/^(data|blob):/.test(url)) outside.push(url);
    });

    const response = await page.goto(server.url);
    expect(response?.status()).toBe(200);
    await waitConnected(page);
    for (const hook of [
      '#operator-name',
      '#active-alerts',
      '#devices',
      '#history',
      '#sound-enable',
      '#sound-mute',
    ]) {
      await page.locator(hook).waitFor({ state: 'attached' });
    }
    await page.locator('#operator-name').waitFor({ state: 'visible' });
    expect(await page.title()).toContain('Vigie');
    expect(outside).toEqual([]);
    expectNoErrors(watched);
  });

  it('shows a POSTed alert without a reload, with its data, newest first, and the open count in the title', async () => {
    const watched = await openDashboard(server.url);
    const { page } = watched;
    const device = deviceId('accueil');

    const first = await postAlert(server.url, {
      deviceId: device,
      type: 'fire',
      location: 'Accueil, rez-de-chaussée',
      message: 'Fumée dans le local technique',
      button: '17',
    });
    await card(page, first.id, 'open').waitFor();
    const second = await postAlert(server.url, {
      deviceId: device,
      type: 'medical',
      location: 'Infirmerie, 1er étage',
      message: 'Malaise d’un visiteur',
      button: '3',
      triggeredAt: new Date(Date.now() - 120_000).toISOString(),
    });
    const shown = card(page, second.id, 'open');
    await shown.waitFor();

    expect(await shown.getAttribute('data-type')).toBe('medical');
    expect(await text(shown.locator('.alert-type'))).not.toBe('');
    expect(await text(shown.locator('.alert-location'))).toContain('Infirmerie, 1er étage');
    expect(await text(shown.locator('.alert-device'))).toContain(device);
    expect(await text(shown.locator('.alert-button'))).toContain('3');
    expect(await text(shown.locator('.alert-message'))).toContain('Malaise d’un visiteur');
    expect((await text(shown.locator('.alert-age'))).trim()).not.toBe('');
    expect(await card(page, first.id).getAttribute('data-type')).toBe('fire');

    expect(await activeBoard(page)).toEqual([
      [second.id, 'open'],
      [first.id, 'open'],
    ]);
    await waitTitleCount(page, 2);
    expectNoErrors(watched);
  });

  it('acknowledging on one page updates a second page open at the same time', async () => {
    const fire = await postAlert(server.url, {
      deviceId: deviceId('cuisine'),
      type: 'fire',
      location: 'Cuisine',
    });
    const panic = await postAlert(server.url, {
      deviceId: deviceId('caisse'),
      type: 'panic',
      location: 'Caisse 4',
    });
    const [one, two] = await Promise.all([openDashboard(server.url), openDashboard(server.url)]);
    for (const { page } of [one, two]) {
      await card(page, fire.id, 'open').waitFor();
      await card(page, panic.id, 'open').waitFor();
      await waitTitleCount(page, 2);
    }

    await one.page.locator('#operator-name').fill('Marie');
    await handle(one.page, fire.id, 'acknowledge', 'Rondier envoyé sur place');

    await card(two.page, fire.id, 'acknowledged').waitFor();
    await card(one.page, fire.id, 'acknowledged').waitFor();
    await waitTitleCount(two.page, 1);
    expect(await card(two.page, panic.id).getAttribute('data-status')).toBe('open');
    expect(await getAlert(server.url, fire.id)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'Marie',
    });
    expectNoErrors(one);
    expectNoErrors(two);
  });

  it('resolving moves the alert to history, on every open page', async () => {
    const intrusion = await postAlert(server.url, {
      deviceId: deviceId('entrepot'),
      type: 'intrusion',
      location: 'Entrepôt, quai 3',
    });
    const [one, two] = await Promise.all([openDashboard(server.url), openDashboard(server.url)]);
    await card(one.page, intrusion.id, 'open').waitFor();
    await card(two.page, intrusion.id, 'open').waitFor();

    await one.page.locator('#operator-name').fill('Karim');
    await handle(one.page, intrusion.id, 'resolve', 'Fausse alerte : porte mal fermée');

    for (const { page } of [one, two]) {
      await card(page, intrusion.id).waitFor({ state: 'detached' });
      await historyRow(page, intrusion.id).waitFor({ state: 'attached' });
    }
    expect(await getAlert(server.url, intrusion.id)).toMatchObject({
      status: 'resolved',
      resolvedBy: 'Karim',
      resolutionNote: 'Fausse alerte : porte mal fermée',
    });
    expectNoErrors(one);
    expectNoErrors(two);
  });

  it('a reload shows the same state, and the operator name is remembered', async () => {
    const toAcknowledge = await postAlert(server.url, { deviceId: deviceId('hall'), type: 'medical' });
    const toResolve = await postAlert(server.url, { deviceId: deviceId('hall'), type: 'test' });
    const stillOpen = await postAlert(server.url, { deviceId: deviceId('hall'), type: 'panic' });
    const watched = await openDashboard(server.url);
    const { page } = watched;
    await card(page, stillOpen.id, 'open').waitFor();

    await page.locator('#operator-name').fill('Jean');
    await handle(page, toAcknowledge.id, 'acknowledge', 'Pris en charge');
    await card(page, toAcknowledge.id, 'acknowledged').waitFor();
    await handle(page, toResolve.id, 'resolve', 'Essai terminé');
    await card(page, toResolve.id).waitFor({ state: 'detached' });
    await historyRow(page, toResolve.id).waitFor({ state: 'attached' });
    const before = await activeBoard(page);
    expect(before).toEqual([
      [stillOpen.id, 'open'],
      [toAcknowledge.id, 'acknowledged'],
    ]);

    await page.reload();
    await waitConnected(page);
    await card(page, stillOpen.id, 'open').waitFor();
    await card(page, toAcknowledge.id, 'acknowledged').waitFor();
    await historyRow(page, toResolve.id).waitFor({ state: 'attached' });
    expect(await activeBoard(page)).toEqual(before);
    expect(await page.locator('#operator-name').inputValue()).toBe('Jean');
    await waitTitleCount(page, 1);
    expectNoErrors(watched);
  });

  it('shows a device that stops its heartbeats as offline', async () => {
    const device = deviceId('parking');
    const stopBeating = keepBeating(server.url, [[device, 'Parking, niveau -1']]);
    const watched = await openDashboard(server.url).catch((error: unknown) => {
      stopBeating();
      throw error;
    });
    try {
      await deviceRow(watched.page, device, 'online').waitFor();
    } finally {
      stopBeating();
    }
    // VIGIE_DEVICE_OFFLINE_AFTER_S=2: offline about 2 s after the last heartbeat.
    await deviceRow(watched.page, device, 'offline').waitFor();
    expectNoErrors(watched);
  });

  it('shows HTML markup from the server literally and runs none of it', async () => {
    const markup = '<img src=x onerror="window.__xss=1"><b>bold</b>';
    const location = '<i>Hall</i><script>window.__xss=2</script>';
    const button = '<u>7</u>';
    const watched = await openDashboard(server.url);
    const { page } = watched;
    const probes: string[] = [];
    page.on('request', (req: Request) => {
      if (new URL(req.url()).pathname === '/x') probes.push(req.url());
    });
    const xssValue = () => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);

    const hostile = await postAlert(server.url, {
      deviceId: deviceId('xss'),
      type: 'intrusion',
      message: markup,
      location,
      button,
    });
    const shown = card(page, hostile.id);
    await shown.waitFor();
    expect(await shown.locator('.alert-message').textContent()).toBe(markup);
    expect(await text(shown.locator('.alert-location'))).toContain(location);
    expect(await text(shown.locator('.alert-button'))).toContain(button);
    expect(await shown.locator('b, u, script, img[src="x"]').count()).toBe(0);

    // Resolved, it is drawn again in the history: still text there.
    await page.locator('#operator-name').fill('Marie');
    await handle(page, hostile.id, 'resolve', '<b>note</b>');
    const row = historyRow(page, hostile.id);
    await row.waitFor({ state: 'attached' });
    expect(await row.locator('b, u, script, img[src="x"]').count()).toBe(0);

    // A later alert drawn means any image the markup had created has long failed (and fired onerror).
    const later = await postAlert(server.url, { deviceId: deviceId('xss'), type: 'test' });
    await card(page, later.id).waitFor();
    expect(await page.locator('img[src="x"], b:text-is("bold")').count()).toBe(0);
    expect(probes).toEqual([]);
    expect(await xssValue()).toBeUndefined();
    expectNoErrors(watched);
  });

  it('can be used with the keyboard alone: Tab to the name, the note and Acknowledge, Enter, Space, focus always shown', async () => {
    const medical = await postAlert(server.url, {
      deviceId: deviceId('clavier'),
      type: 'medical',
      location: 'Salle de réunion B',
    });
    const watched = await openDashboard(server.url);
    const { page } = watched;
    const shown = card(page, medical.id, 'open');
    await shown.waitFor();

    // The page asks for the operator's name before any action: Tab to it first.
    await tabTo(page, page.locator('#operator-name'));
    expect(await focused(page)).toMatchObject({ matches: true, ring: true });
    await page.keyboard.type('Nadia');
    await tabTo(page, shown.locator('.alert-note'));
    await page.keyboard.type('En route');
    await tabTo(page, shown.locator('button.acknowledge'));
    expect(await focused(page)).toMatchObject({ matches: true, ring: true });
    await page.keyboard.press('Enter');

    await card(page, medical.id, 'acknowledged').waitFor();
    expect(await getAlert(server.url, medical.id)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'Nadia',
      acknowledgementNote: 'En route',
    });
    // Acknowledge is now disabled: the focus moves on to Resolve, the next step, not to the page.
    await page.waitForFunction(
      (id) => document.activeElement?.matches(`.alert-card[data-alert-id="${id}"] button.resolve`),
      medical.id,
    );
    expect(await focused(page)).toMatchObject({ matches: true, ring: true });
    await page.keyboard.press('Space');

    await card(page, medical.id).waitFor({ state: 'detached' });
    expect(await getAlert(server.url, medical.id)).toMatchObject({ status: 'resolved', resolvedBy: 'Nadia' });
    // The card is gone with the focus: the board takes it, so the next Tab goes on from there.
    await page.waitForFunction(() => document.activeElement?.id === 'active-alerts');
    expect(await focused(page)).toMatchObject({ ring: true });
    expectNoErrors(watched);
  });

  it.each([
    [768, 1024],
    [1024, 768],
  ])(
    'fits a %i×%i touch tablet: no sideways scroll, touch targets of 44 px or more, a tap acknowledges',
    async (width, height) => {
      const intrusion = await postAlert(server.url, {
        deviceId: deviceId('tablette'),
        type: 'intrusion',
        location: 'Entrepôt, porte du quai 3',
        message: 'Porte forcée',
      });
      const watched = await session!.newPage({
        viewport: { width, height },
        hasTouch: true,
        isMobile: false,
      });
      const { page } = watched;
      await page.goto(server.url);
      await waitConnected(page);
      const shown = card(page, intrusion.id, 'open');
      await shown.waitFor();

      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      const box = await shown.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(clientWidth);
      for (const action of ['acknowledge', 'resolve']) {
        const button = shown.locator(`button.${action}`);
        expect(await button.isVisible()).toBe(true);
        const target = await button.boundingBox();
        expect([action, target!.width >= 44, target!.height >= 44]).toEqual([action, true, true]);
      }
      // Every control of the page, not only the card's.
      expect(await smallTargets(page.locator('button, input, select, textarea'), 44)).toEqual([]);

      await page.locator('#operator-name').tap();
      await page.keyboard.type('Sophie');
      await shown.locator('button.acknowledge').tap();
      await card(page, intrusion.id, 'acknowledged').waitFor();
      expect(await getAlert(server.url, intrusion.id)).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'Sophie',
      });
      expectNoErrors(watched);
    },
  );

  it('redraws the 30-day chart and the median time to acknowledge from live events, one re-read per burst', async () => {
    const own = await ServerProcess.start({ env: SERVER_ENV });
    ownServers.push(own);
    const first = await postAlert(own.url, { deviceId: deviceId('stats'), type: 'fire' });
    const watched = await openDashboard(own.url);
    const { page } = watched;
    const median = page.locator('#median-ack');
    await page.locator('#chart-per-day[data-total="1"]').waitFor({ state: 'attached' });
    expect(await text(median)).toBe('Median time to acknowledge: no acknowledgement yet');
    // The chart reads GET /alerts without a status; the board and the history always give one.
    const chartReads: string[] = [];
    page.on('request', (req: Request) => {
      const url = new URL(req.url());
      if (url.pathname === '/alerts' && !url.searchParams.has('status')) chartReads.push(url.search);
    });
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    // Acknowledged from elsewhere (another post, through the API): the median shows here.
    await request(own.url, 'POST', `/alerts/${first.id}/acknowledge`, { by: 'Marie' });
    await page.waitForFunction(
      () =>
        /^Median time to acknowledge: \d+ s$/.test(document.getElementById('median-ack')?.textContent ?? ''),
      undefined,
      { timeout: UI_TIMEOUT_MS },
    );
    expect(chartReads).toHaveLength(1);

    // Ten alerts at once: the chart counts them all, after one re-read (two on a slow machine,
    // should the burst straddle the end of the 3 s interval), not ten.
    chartReads.length = 0;
    for (let i = 0; i < 10; i++) await postAlert(own.url, { deviceId: deviceId('stats'), type: 'test' });
    await page.locator('#chart-per-day[data-total="11"]').waitFor({ state: 'attached' });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(chartReads.length).toBeGreaterThanOrEqual(1);
    expect(chartReads.length).toBeLessThanOrEqual(2);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    expectNoErrors(watched);
  });

  it('reconnects by itself after the server restarts and shows the alerts posted meanwhile', async () => {
    const port = await freePort();
    const env = { ...SERVER_ENV, PORT: String(port) };
    const first = await ServerProcess.start({ env });
    ownServers.push(first);
    const watched = await openDashboard(first.url);
    const { page } = watched;
    const before = await postAlert(first.url, {
      deviceId: deviceId('restart'),
      type: 'fire',
      location: 'Chaufferie',
    });
    await card(page, before.id, 'open').waitFor();

    const exit = await first.stop('SIGTERM');
    expect(describeExit(exit)).toBe('code 0');
    await page.locator('#connection-state[data-state="reconnecting"]').waitFor({ state: 'attached' });

    // Hold the stream back until an alert has been posted to the new server: only the page's
    // re-read of GET /alerts after it reconnects can then show it.
    const isEventStream = (url: URL) => url.pathname === '/events';
    const refuse = (route: Route) => route.abort('connectionrefused');
    await page.route(isEventStream, refuse);
    const second = await ServerProcess.start({ env, sqlitePath: first.sqlitePath });
    ownServers.push(second);
    expect(second.port).toBe(port);
    const meanwhile = await postAlert(second.url, {
      deviceId: deviceId('restart'),
      type: 'intrusion',
      location: 'Réserve',
    });
    await page.unroute(isEventStream, refuse);

    await waitConnected(page, 20_000);
    await card(page, meanwhile.id, 'open').waitFor();
    await card(page, before.id, 'open').waitFor();
    const after = await postAlert(second.url, { deviceId: deviceId('restart'), type: 'panic' });
    await card(page, after.id, 'open').waitFor();
    await waitTitleCount(page, 3);
    // The refused stream shows up as console network errors: only uncaught exceptions count here.
    expect(watched.pageErrors).toEqual([]);
  }, 45_000);

  it('keeps a screenshot of the page with one alert of each type (test-artifacts/dashboard.png)', async () => {
    const own = await ServerProcess.start({ env: SERVER_ENV });
    ownServers.push(own);
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const live: Array<[string, string]> = [
      ['pi-atelier-05', 'Atelier, bâtiment B'],
      ['pi-infirmerie-03', 'Infirmerie, 1er étage'],
      ['pi-entrepot-02', 'Entrepôt, porte du quai 3'],
      ['pi-caisse-04', 'Caisses, hall principal'],
      ['pi-accueil-01', 'Accueil, rez-de-chaussée'],
    ];
    await heartbeat(own.url, 'pi-parking-06', 'Parking, niveau -1'); // then silent: offline
    const stopBeating = keepBeating(own.url, live);
    try {
      const earlier = await postAlert(own.url, {
        deviceId: 'pi-atelier-05',
        type: 'test',
        location: 'Atelier, bâtiment B',
        message: 'Essai hebdomadaire',
        button: 'T',
        triggeredAt: minutesAgo(90),
      });
      await request(own.url, 'POST', `/alerts/${earlier.id}/resolve`, {
        by: 'Marie',
        note: 'Essai concluant',
      });
      const alerts: AlertBody[] = [
        {
          deviceId: 'pi-atelier-05',
          type: 'test',
          location: live[0][1],
          message: 'Essai mensuel',
          button: 'T',
        },
        {
          deviceId: 'pi-infirmerie-03',
          type: 'medical',
          location: live[1][1],
          message: 'Malaise d’un visiteur',
          button: '3',
        },
        {
          deviceId: 'pi-entrepot-02',
          type: 'intrusion',
          location: live[2][1],
          message: 'Porte forcée',
          button: 'B2',
        },
        {
          deviceId: 'pi-caisse-04',
          type: 'panic',
          location: live[3][1],
          message: 'Agression en caisse',
          button: '4',
        },
        {
          deviceId: 'pi-accueil-01',
          type: 'fire',
          location: live[4][1],
          message: 'Fumée dans le local technique',
          button: '17',
        },
      ];
      const ages = [25, 12, 7, 3, 1];
      const posted: Alert[] = [];
      for (const [i, body] of alerts.entries()) {
        posted.push(await postAlert(own.url, { ...body, triggeredAt: minutesAgo(ages[i]) }));
      }
      const medical = posted[1];
      await request(own.url, 'POST', `/alerts/${medical.id}/acknowledge`, {
        by: 'Marie',
        note: 'Infirmière en route',
      });

      const watched = await openDashboard(own.url, 'fr-FR');
      const { page } = watched;
      for (const alert of posted) await card(page, alert.id).waitFor();
      await card(page, medical.id, 'acknowledged').waitFor();
      await historyRow(page, earlier.id).waitFor({ state: 'attached' });
      await deviceRow(page, 'pi-parking-06', 'offline').waitFor();
      for (const [id] of live) await deviceRow(page, id, 'online').waitFor();
      await waitTitleCount(page, 4);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled' });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
      expectNoErrors(watched);
    } finally {
      stopBeating();
    }
  });
});
