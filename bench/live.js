'use strict';
/**
 * bench:live. How fast an alert reaches the security posts: the built alert server (fresh
 * SQLite file) with BENCH_STREAMS `GET /events` streams open (plain node http clients, each
 * parsing the SSE frames), then BENCH_ALERTS alerts posted one at a time; each is timed from
 * the POST to its `alert.created` event on every stream. Then the dashboard in Chromium: from
 * the POST to its card in the page's DOM, stamped in the page by a MutationObserver. Then the
 * security post at scale, on a server of its own: BENCH_SCALE_DEVICES devices beating (a few
 * with problems), BENCH_SCALE_OPEN open alerts before the page opens: the time the page takes
 * to show them all, then POST → card for BENCH_SCALE_NEW more, and the tab's JS heap.
 * BENCH_LIVE_PART=streams|page|scale runs one part alone (default all).
 *
 * One clock for the streams (this process's performance.now()); for the page, epoch
 * milliseconds (`performance.timeOrigin + performance.now()`) in both processes, checked
 * against a round trip to the page.
 */
const http = require('node:http');
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { alertBody } = require('./lib/alert-data');
const { print, machine, machineLine, table, ms, verdict } = require('./lib/report');
const { assertServerBuilt, startAlertServer } = require('./lib/server-process');
const { addOperator, addSessions, provisionDeviceTokens } = require('./lib/device-tokens');
const { MAX_STREAMS_PER_SESSION } = require('../apps/alert-server/src/live/stream-quota');
const { makeSite, newAlert, openAlerts } = require('./lib/site-data');

/**
 * The server runs as in production (VIGIE_AUTH=required): each POST carries its device's
 * token, the page an operator's session cookie, the streams one of `streamCookies`: a session
 * may hold only MAX_STREAMS_PER_SESSION streams, so 200 streams are as many browsers' sessions.
 * The scale part's server has tokens and a session of its own.
 */
const credentials = { tokens: new Map(), cookie: '', streamCookies: [] };
const OPERATOR = { name: 'bench', password: 'bench-operator-password' };

async function signIn(baseUrl) {
  const response = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(OPERATOR),
  });
  if (response.status !== 204) throw new Error(`POST /auth/login answered ${response.status}`);
  return response.headers.get('set-cookie').split(';')[0];
}

const STREAMS = Number(process.env.BENCH_STREAMS ?? 200);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 500);
const PAGE_ALERTS = Number(process.env.BENCH_PAGE_ALERTS ?? 50);
const WARMUP_ALERTS = Number(process.env.BENCH_WARMUP_ALERTS ?? 20);
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 20);
/** The page's first alerts warm it up (its JIT, the chart's first reload) and are not counted. */
const PAGE_WARMUP_ALERTS = Math.ceil(WARMUP_ALERTS / 4);
const PARTS = ['streams', 'page', 'scale'];
const PART = process.env.BENCH_LIVE_PART ?? 'all';
const SCALE_DEVICES = Number(process.env.BENCH_SCALE_DEVICES ?? 1000);
const SCALE_OPEN = Number(process.env.BENCH_SCALE_OPEN ?? 200);
const SCALE_NEW = Number(process.env.BENCH_SCALE_NEW ?? 100);
/** A file to write a Chromium trace of the scale part's new alerts to (off by default: tracing costs). */
const SCALE_TRACE = process.env.BENCH_SCALE_TRACE ?? '';
/**
 * BENCH_REDUCED_MOTION=1: the pages as an operator who asked the system for less motion sees
 * them (the open cards stop pulsing): a diagnosis, telling the animations' share of the times.
 */
const REDUCED_MOTION = process.env.BENCH_REDUCED_MOTION === '1';
const TARGET_STREAMS_P99_MS = 50;
const TARGET_PAGE_P99_MS = 150;
/** From page.goto to the board connected with every open alert's card: a security post's reload. */
const TARGET_READY_MS = 1000;
/** The scale part's devices stay online for the whole run, however long the set-up takes. */
const SCALE_OFFLINE_AFTER_S = 3600;
/** After the board is ready, its other first reads (devices, history, chart) finish before any timing. */
const SETTLE_MS = 1000;
const SCREEN = { width: 1920, height: 1080 };
/** An event not on every stream by then counts as lost; the bench goes on with the next alert. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** As test/support/browser.ts: Debian's Chromium, never a downloaded one. */
const CHROMIUM_PATH = process.env.VIGIE_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const epochNow = () => performance.timeOrigin + performance.now();
const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Nearest-rank quantile of an ascending array (as lib/load.js). */
function quantile(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function stats(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1),
  };
}

const three = (s) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
const count = (n) => n.toLocaleString('en-US');

// --- the streams ---------------------------------------------------------------------------------

/**
 * One `GET /events` stream on its own connection. `onEvent(name, data, at)` gets each SSE
 * message, `at` being performance.now() when its chunk arrived (before any parsing).
 * Resolves once the server's greeting (`: connected`) is in, so the stream is subscribed.
 */
function openStream(baseUrl, cookie, onEvent) {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}/events`, {
      agent: false,
      headers: { accept: 'text/event-stream', cookie },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`GET /events answered ${response.statusCode}`));
        response.resume();
        return;
      }
      const stream = { request, closed: false, greeted: false };
      response.once('close', () => (stream.closed = true));
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (chunk) => {
        const at = performance.now();
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          const data = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) {
              if (line === ': connected' && !stream.greeted) {
                stream.greeted = true;
                resolve(stream);
              }
            } else if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) onEvent(name, data.join('\n'), at);
        }
      });
    });
  });
}

/**
 * What each stream received of each alert: its arrival times and how many times it came.
 * An alert is tracked from before its POST (its id is made here), since the event may well
 * arrive before the 201.
 */
class Deliveries {
  constructor(streams) {
    this.streams = streams;
    this.alerts = new Map();
    this.unknown = 0;
  }

  track(id) {
    const entry = {
      sentAt: NaN,
      times: new Float64Array(this.streams).fill(NaN),
      counts: new Uint16Array(this.streams),
      reached: 0,
      everywhere: null,
    };
    entry.all = new Promise((resolve) => (entry.everywhere = resolve));
    this.alerts.set(id, entry);
    return entry;
  }

  receive(stream, id, at) {
    const entry = this.alerts.get(id);
    if (!entry) {
      this.unknown++;
      return;
    }
    if (entry.counts[stream]++ === 0) {
      entry.times[stream] = at;
      if (++entry.reached === this.streams) entry.everywhere();
    }
  }

  /** Deliveries expected, received once, missing, received more than once. */
  check() {
    let once = 0;
    let missing = 0;
    let duplicates = 0;
    for (const entry of this.alerts.values()) {
      for (const n of entry.counts) {
        if (n === 0) missing++;
        else if (n === 1) once++;
        else duplicates += n - 1;
      }
    }
    const expected = this.alerts.size * this.streams;
    return { expected, once, missing, duplicates, unknown: this.unknown };
  }
}

// --- the POSTs -----------------------------------------------------------------------------------

/** POST /alerts on a kept-alive connection; resolves with the status and when the answer ended. */
function postAlert(baseUrl, agent, body) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(`${baseUrl}/alerts`, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        authorization: `Bearer ${credentials.tokens.get(body.deviceId)}`,
      },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode, at: performance.now() }));
    });
    request.end(payload);
  });
}

async function resolveAlert(baseUrl, agent, id) {
  const payload = JSON.stringify({});
  const status = await new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/alerts/${id}/resolve`, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        cookie: credentials.cookie,
      },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode));
    });
    request.end(payload);
  });
  if (status !== 200) throw new Error(`POST /alerts/${id}/resolve answered ${status}`);
}

// --- measurement 1: the streams ------------------------------------------------------------------

async function measureStreams(server, agent) {
  const deliveries = new Deliveries(STREAMS);
  const streams = [];
  for (let index = 0; index < STREAMS; index++) {
    streams.push(
      await openStream(
        server.url,
        credentials.streamCookies[Math.floor(index / MAX_STREAMS_PER_SESSION)],
        (name, data, at) => {
          if (name !== 'alert.created') return;
          deliveries.receive(index, JSON.parse(data).id, at);
        },
      ),
    );
  }

  const perDelivery = [];
  const firstStream = [];
  const lastStream = [];
  const created = [];
  const statuses = {};
  let timedOut = 0;
  const cpuBefore = server.cpuMs();
  for (let i = 0; i < WARMUP_ALERTS + ALERTS; i++) {
    const body = alertBody();
    const entry = deliveries.track(body.id);
    entry.sentAt = performance.now();
    const answer = await postAlert(server.url, agent, body);
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    let timer;
    const everywhere = await Promise.race([
      entry.all.then(() => true),
      new Promise((resolve) => (timer = setTimeout(resolve, DELIVERY_TIMEOUT_MS, false))),
    ]);
    clearTimeout(timer);
    if (!everywhere) timedOut++;
    if (i >= WARMUP_ALERTS) {
      created.push(answer.at - entry.sentAt);
      let first = Infinity;
      let last = -Infinity;
      for (const at of entry.times) {
        if (Number.isNaN(at)) continue;
        perDelivery.push(at - entry.sentAt);
        first = Math.min(first, at - entry.sentAt);
        last = Math.max(last, at - entry.sentAt);
      }
      if (Number.isFinite(first)) firstStream.push(first);
      if (everywhere) lastStream.push(last);
    }
    await sleep(PAUSE_MS);
  }
  const cpuMs = server.cpuMs() - cpuBefore;
  // Stragglers (a duplicate, a late one) would show in the check: give them a moment.
  await sleep(200);
  const stillOpen = streams.filter((stream) => !stream.closed).length;
  for (const stream of streams) stream.request.destroy();
  return {
    deliveries: stats(perDelivery),
    firstStream: stats(firstStream),
    lastStream: stats(lastStream),
    created: stats(created),
    check: deliveries.check(),
    statuses,
    timedOut,
    stillOpen,
    cpuMsPerAlert: cpuMs / (WARMUP_ALERTS + ALERTS),
    ids: [...deliveries.alerts.keys()],
  };
}

// --- measurement 2: the page ---------------------------------------------------------------------

/** Page clock minus this process's clock (epoch ms), from the page round trip that was shortest. */
async function clockOffset(page) {
  let best = { rtt: Infinity, offset: NaN };
  for (let i = 0; i < 20; i++) {
    const before = epochNow();
    const inPage = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = epochNow();
    if (after - before < best.rtt) best = { rtt: after - before, offset: inPage - (before + after) / 2 };
  }
  return best;
}

function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/**
 * A page in a fresh browser context, signed in as the operator, keeping its uncaught errors
 * and console errors. The page reports each new alert card through `benchCardDrawn` (over the
 * DevTools pipe: slow, hence the stamps made in the page); a card reported again is a card
 * the page drew anew, which it should never do for an alert it already shows.
 */
async function openPage(browser, server, viewport) {
  const context = await browser.newContext({
    locale: 'en-US',
    viewport,
    reducedMotion: REDUCED_MOTION ? 'reduce' : 'no-preference',
  });
  const [name, value] = credentials.cookie.split('=');
  await context.addCookies([{ name, value, url: server.url, httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  const watch = { page, pageErrors: [], consoleErrors: [], drawn: new Map(), waiting: new Map() };
  page.on('pageerror', (error) => watch.pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') watch.consoleErrors.push(message.text());
  });
  await page.exposeFunction('benchCardDrawn', (id, inDom, frame, joined) => {
    const known = watch.drawn.get(id);
    if (known) known.times++;
    else watch.drawn.set(id, { inDom, frame, joined, times: 1 });
    watch.waiting.get(id)?.();
  });
  return watch;
}

/**
 * From now on, every alert card that comes into #active-alerts is reported once, with the time
 * it was in the DOM and the next animation frame's. A new alert's card may come alone, inside a
 * new incident card, or into the (closed) list of an incident already shown: the whole subtree
 * is watched and each added node searched. Cards already on the board count as seen.
 */
async function watchCards(page) {
  // Runs in the page.
  /* global window, document, MutationObserver, HTMLElement, requestAnimationFrame */
  await page.evaluate(() => {
    const report = window.benchCardDrawn;
    const board = document.getElementById('active-alerts');
    // Not a data attribute on the card: that would be a DOM write (style work) of the bench's own.
    const seen = new WeakSet(board.querySelectorAll('.alert-card'));
    new MutationObserver((records) => {
      // A microtask right after the mutation: the card is in the DOM, not yet painted.
      const inDom = performance.timeOrigin + performance.now();
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          const cards = node.matches('.alert-card') ? [node] : node.querySelectorAll('.alert-card');
          for (const card of cards) {
            const id = card.dataset.alertId;
            if (!id || seen.has(card)) continue;
            seen.add(card);
            const joined = card.closest('.incident-card') !== null;
            // The frame that paints it starts at the next animation frame callback.
            requestAnimationFrame(() =>
              report(id, inDom, performance.timeOrigin + performance.now(), joined),
            );
          }
        }
      }
    }).observe(board, { childList: true, subtree: true });
  });
}

/**
 * `warmup + count` alerts from `next()` posted one at a time, each waited for in the page;
 * the last `count` timed from the POST to their card in the DOM and to the frame after.
 */
async function timeAlerts(watch, server, agent, { count: timed, warmup, next }) {
  const inDom = [];
  const frame = [];
  const created = [];
  const ids = [];
  let timedOut = 0;
  let joined = 0;
  for (let i = 0; i < warmup + timed; i++) {
    const body = next();
    ids.push(body.id);
    const shown = new Promise((resolve) => watch.waiting.set(body.id, resolve));
    const sentAt = epochNow();
    const answer = await postAlert(server.url, agent, body);
    if (answer.status !== 201) throw new Error(`POST /alerts answered ${answer.status}`);
    let timer;
    const ok = await Promise.race([
      shown.then(() => true),
      new Promise((resolve) => (timer = setTimeout(resolve, DELIVERY_TIMEOUT_MS, false))),
    ]);
    clearTimeout(timer);
    watch.waiting.delete(body.id);
    if (!ok) timedOut++;
    else if (i >= warmup) {
      const times = watch.drawn.get(body.id);
      inDom.push(times.inDom - sentAt);
      frame.push(times.frame - sentAt);
      created.push(performance.timeOrigin + answer.at - sentAt);
      if (times.joined) joined++;
    }
    await sleep(PAUSE_MS);
  }
  return { inDom: stats(inDom), frame: stats(frame), created: stats(created), timedOut, joined, ids };
}

async function measurePage(server, agent) {
  const browser = await launchBrowser();
  try {
    const watch = await openPage(browser, server, { width: 1280, height: 900 });
    const { page } = watch;
    await page.goto(server.url);
    await page.locator('#connection-state[data-state="connected"]').waitFor({ state: 'attached' });
    await watchCards(page);
    const clockBefore = await clockOffset(page);
    const timed = await timeAlerts(watch, server, agent, {
      count: PAGE_ALERTS,
      warmup: PAGE_WARMUP_ALERTS,
      next: () => alertBody(),
    });
    const clockAfter = await clockOffset(page);
    const twice = [...watch.drawn.values()].filter((times) => times.times > 1).length;
    return { ...timed, clockBefore, clockAfter, twice, pageErrors: watch.pageErrors };
  } finally {
    await browser.close();
  }
}

// --- measurement 3: the security post at scale ---------------------------------------------------

/** PUT /devices/{id}/heartbeat with the device's token; resolves with the status. */
function putHeartbeat(baseUrl, agent, device) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(device.heartbeat);
    const request = http.request(`${baseUrl}/devices/${device.id}/heartbeat`, {
      method: 'PUT',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        authorization: `Bearer ${credentials.tokens.get(device.id)}`,
      },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode));
    });
    request.end(payload);
  });
}

/** One heartbeat from each device, a few at a time (set-up, not timed); the statuses counted. */
async function beatOnce(baseUrl, devices) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const statuses = {};
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < devices.length) {
          const status = await putHeartbeat(baseUrl, agent, devices[next++]);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return statuses;
}

/** Chromium's counters for the page (Performance.getMetrics: durations in s, counts, heap bytes). */
async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map(({ name, value }) => [name, value]));
}

/** The tab's JS heap in use after a full garbage collection: what the page keeps, not what it left. */
async function heapAfterGc(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

/** The first read of the devices and the board connected: both boards below wait for these. */
async function openBoard(watch, server) {
  const devicesRead = watch.page.waitForResponse(
    (response) => new URL(response.url()).pathname === '/devices',
  );
  const gotoAt = epochNow();
  await watch.page.goto(server.url);
  await watch.page.locator('#connection-state[data-state="connected"]').waitFor({ state: 'attached' });
  await devicesRead;
  return gotoAt;
}

/**
 * Runs in the page before its own scripts: stamps the moment the board is connected with
 * `expected` alert cards attached (in the DOM, whether alone or in an incident's closed list),
 * and the next animation frame's. Checked at each batch of DOM changes, so no polling is timed.
 */
function readyProbe(expected) {
  const observer = new MutationObserver(() => {
    const connected = document.getElementById('connection-state')?.dataset.state === 'connected';
    if (!connected || document.querySelectorAll('#active-alerts .alert-card').length < expected) return;
    observer.disconnect();
    const inDom = performance.timeOrigin + performance.now();
    requestAnimationFrame(
      () => (window.benchReady = { inDom, frame: performance.timeOrigin + performance.now() }),
    );
  });
  observer.observe(document, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['data-state'],
  });
}

/** Performance.getMetrics gives its durations in seconds. */
const inMs = (seconds) => seconds * 1000;

async function measureScale(server, agent, site) {
  const beats = await beatOnce(server.url, site.beating);
  if (beats[204] !== site.beating.length) throw new Error(`heartbeats answered ${JSON.stringify(beats)}`);
  const browser = await launchBrowser();
  try {
    // The same devices and no alert: what the board's alerts add to the tab's heap.
    const empty = await openPage(browser, server, SCREEN);
    await openBoard(empty, server);
    await sleep(SETTLE_MS);
    const emptyHeap = await heapAfterGc(await empty.page.context().newCDPSession(empty.page));
    await empty.page.context().close();

    const open = openAlerts(site, SCALE_OPEN);
    for (const body of open) {
      const answer = await postAlert(server.url, agent, body);
      if (answer.status !== 201) throw new Error(`POST /alerts answered ${answer.status}`);
    }

    const watch = await openPage(browser, server, SCREEN);
    const { page } = watch;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.addInitScript(readyProbe, SCALE_OPEN);
    const gotoAt = await openBoard(watch, server);
    const stamps = await (
      await page.waitForFunction(() => window.benchReady, null, { polling: 100, timeout: 60_000 })
    ).jsonValue();
    const clockBefore = await clockOffset(page);
    await sleep(SETTLE_MS);
    // The first load's work in all: until ready and the other first reads (devices, history, chart).
    const loaded = await metrics(cdp);
    const board = await page.evaluate(() => ({
      elements: document.getElementsByTagName('*').length,
      incidents: document.querySelectorAll('#active-alerts .incident-card').length,
      inIncidents: document.querySelectorAll('#active-alerts .incident-card .alert-card').length,
      alone: document.querySelectorAll('#active-alerts > .alert-card').length,
      // Rows of devices drawn (the panel may list only those needing attention).
      deviceRows: document.querySelectorAll('#devices li.device').length,
    }));

    await watchCards(page);
    // A Chromium trace of the posts, for DevTools' Performance panel: where the page's time went.
    if (SCALE_TRACE) await browser.startTracing(page, { path: SCALE_TRACE, screenshots: false });
    const before = await metrics(cdp);
    const timed = await timeAlerts(watch, server, agent, {
      count: SCALE_NEW,
      warmup: 0,
      next: () => newAlert(site),
    });
    const after = await metrics(cdp);
    if (SCALE_TRACE) await browser.stopTracing();
    const clockAfter = await clockOffset(page);
    const heap = await heapAfterGc(cdp);
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('#active-alerts .alert-card')].map((card) => card.dataset.alertId),
    );
    const elementsAfter = await page.evaluate(() => document.getElementsByTagName('*').length);

    // Every alert on the board once, no card of an open alert drawn again, each new one drawn once.
    const expected = new Set([...open.map((body) => body.id), ...timed.ids]);
    const unique = new Set(shown);
    const openIds = new Set(open.map((body) => body.id));
    const posts = (name) => (after[name] - before[name]) / SCALE_NEW;
    return {
      ...timed,
      ready: { inDom: stamps.inDom - gotoAt, frame: stamps.frame - gotoAt },
      loaded: {
        script: inMs(loaded.ScriptDuration),
        layout: inMs(loaded.LayoutDuration),
        style: inMs(loaded.RecalcStyleDuration),
      },
      perPost: {
        task: inMs(posts('TaskDuration')),
        script: inMs(posts('ScriptDuration')),
        layout: inMs(posts('LayoutDuration')),
        style: inMs(posts('RecalcStyleDuration')),
        layouts: posts('LayoutCount'),
        styles: posts('RecalcStyleCount'),
        seconds: after.Timestamp - before.Timestamp,
        busy: (after.TaskDuration - before.TaskDuration) / (after.Timestamp - before.Timestamp),
      },
      elementsAfter,
      board,
      beats,
      heap,
      emptyHeap,
      clockBefore,
      clockAfter,
      cards: {
        shown: shown.length,
        duplicates: shown.length - unique.size,
        missing: [...expected].filter((id) => !unique.has(id)).length,
        unexpected: [...unique].filter((id) => !expected.has(id)).length,
        redrawn: [...watch.drawn.keys()].filter((id) => openIds.has(id)).length,
        twice: [...watch.drawn.values()].filter((times) => times.times > 1).length,
      },
      pageErrors: [...empty.pageErrors, ...watch.pageErrors],
      consoleErrors: [...empty.consoleErrors, ...watch.consoleErrors],
    };
  } finally {
    await browser.close();
  }
}

// --- report --------------------------------------------------------------------------------------

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  if (PART !== 'all' && !PARTS.includes(PART)) {
    throw new Error(`BENCH_LIVE_PART=${PART}: expected ${PARTS.join(', ')} or all`);
  }
  const runs = (part) => PART === 'all' || PART === part;
  assertServerBuilt();
  const info = machine();
  const started = Date.now();
  const what = [];
  if (runs('streams')) {
    what.push(
      `${count(ALERTS)} alerts posted one at a time (${PAUSE_MS} ms apart) to ${STREAMS} GET /events streams`,
    );
  }
  if (runs('page')) what.push(`${PAGE_ALERTS} to the dashboard in Chromium`);
  if (runs('scale')) {
    what.push(
      `the dashboard at scale: ${count(SCALE_DEVICES)} devices, ${SCALE_OPEN} open alerts, ${SCALE_NEW} new ones`,
    );
  }
  print(`# bench:live: ${what.join('; then ')}`);
  print(`(after ${WARMUP_ALERTS} warm-up alerts; fresh alert servers, SQLite WAL, synchronous=FULL)`);
  print(machineLine(info, info.load));
  print();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-live-'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let streams;
  let pageResult;
  let scale;
  const servers = [];
  try {
    if (runs('streams') || runs('page')) {
      const sqlitePath = path.join(dir, 'live.db');
      credentials.tokens = provisionDeviceTokens(sqlitePath);
      addOperator(sqlitePath, OPERATOR.name, OPERATOR.password);
      credentials.streamCookies = addSessions(
        sqlitePath,
        OPERATOR.name,
        Math.ceil(STREAMS / MAX_STREAMS_PER_SESSION),
      );
      const server = await startAlertServer(sqlitePath, { env: { VIGIE_AUTH: 'required' } });
      servers.push({ name: 'server', server });
      credentials.cookie = await signIn(server.url);
      if (runs('streams')) {
        streams = await measureStreams(server, agent);
        print(
          `streams: ${count(streams.check.once)} of ${count(streams.check.expected)} deliveries;` +
            ` POST → event on every stream p99 ${ms(streams.lastStream.p99)}`,
        );
        // The page starts with an empty board, as a security post would: the alerts above resolved.
        for (const id of streams.ids) await resolveAlert(server.url, agent, id);
      }
      if (runs('page')) {
        pageResult = await measurePage(server, agent);
        print(
          `page: ${pageResult.inDom.count} cards; POST → card in the DOM p99 ${ms(pageResult.inDom.p99)}`,
        );
      }
    }
    if (runs('scale')) {
      // A server of its own: its devices, and no resolved alerts of the parts above in its history.
      const site = makeSite(SCALE_DEVICES);
      const sqlitePath = path.join(dir, 'scale.db');
      credentials.tokens = provisionDeviceTokens(sqlitePath, site.devices);
      addOperator(sqlitePath, OPERATOR.name, OPERATOR.password);
      const server = await startAlertServer(sqlitePath, {
        env: { VIGIE_AUTH: 'required', VIGIE_DEVICE_OFFLINE_AFTER_S: String(SCALE_OFFLINE_AFTER_S) },
      });
      servers.push({ name: 'scale server', server });
      credentials.cookie = await signIn(server.url);
      scale = await measureScale(server, agent, site);
      scale.problems = site.problems;
      print(
        `scale: page ready in ${ms(scale.ready.inDom)}; POST → card in the DOM p99 ${ms(scale.inDom.p99)};` +
          ` JS heap ${mb(scale.heap)}`,
      );
    }
  } finally {
    agent.destroy();
    for (const entry of servers) entry.exit = await entry.server.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = [];
  const lines = [];
  const verdicts = [];
  const check = (ok) => {
    verdicts.push(ok);
    return verdict(ok);
  };

  if (streams) {
    const c = streams.check;
    const onceOk =
      c.once === c.expected &&
      c.missing === 0 &&
      c.duplicates === 0 &&
      c.unknown === 0 &&
      streams.timedOut === 0 &&
      streams.stillOpen === STREAMS;
    rows.push(
      [
        `POST → \`alert.created\` on a stream, each of ${count(streams.deliveries.count)} deliveries (${ALERTS} alerts × ${STREAMS} streams)`,
        three(streams.deliveries),
        `p99 ≤ ${TARGET_STREAMS_P99_MS} ms`,
        check(streams.deliveries.p99 <= TARGET_STREAMS_P99_MS),
      ],
      [
        `POST → \`alert.created\` on the last of the ${STREAMS} streams, per alert`,
        three(streams.lastStream),
        `p99 ≤ ${TARGET_STREAMS_P99_MS} ms`,
        check(streams.lastStream.p99 <= TARGET_STREAMS_P99_MS),
      ],
      [
        `POST → \`alert.created\` on the first of the ${STREAMS} streams, per alert (the rest is the fan-out)`,
        three(streams.firstStream),
        '',
        '',
      ],
      [`POST → \`201\` (reference, same alerts)`, three(streams.created), '', ''],
    );
    lines.push(
      `- every stream got every alert exactly once: ${count(c.once)} of ${count(c.expected)} deliveries` +
        ` (${count(WARMUP_ALERTS + ALERTS)} alerts incl. warm-up × ${STREAMS} streams), missing ${c.missing},` +
        ` duplicates ${c.duplicates}, unknown ids ${c.unknown}, alerts timed out ${streams.timedOut};` +
        ` streams still open at the end ${streams.stillOpen}/${STREAMS} → ${check(onceOk)}`,
      `- every POST answered 201: ${JSON.stringify(streams.statuses)} → ${check(streams.statuses[201] === WARMUP_ALERTS + ALERTS)};` +
        ` server CPU per alert with ${STREAMS} streams: ${ms(streams.cpuMsPerAlert, 2)}`,
    );
  }

  if (pageResult) {
    rows.push(
      [
        `POST → card in the dashboard's DOM (Chromium, ${PAGE_ALERTS} alerts, empty board)`,
        three(pageResult.inDom),
        `p99 ≤ ${TARGET_PAGE_P99_MS} ms`,
        check(pageResult.inDom.p99 <= TARGET_PAGE_P99_MS),
      ],
      [`POST → next animation frame after the card (painted in that frame)`, three(pageResult.frame), '', ''],
    );
    const ok = pageResult.timedOut === 0 && pageResult.twice === 0 && pageResult.pageErrors.length === 0;
    lines.push(
      `- page: every card drawn once (timed out ${pageResult.timedOut}, twice ${pageResult.twice};` +
        ` ${pageResult.joined} of ${PAGE_ALERTS} joined an incident), uncaught page errors` +
        ` ${pageResult.pageErrors.length} → ${check(ok)}; page clock − bench clock ${ms(pageResult.clockBefore.offset, 2)}` +
        ` before, ${ms(pageResult.clockAfter.offset, 2)} after (± half a round trip: ${ms(pageResult.clockBefore.rtt / 2, 2)})`,
    );
  }

  if (scale) {
    const b = scale.board;
    const c = scale.cards;
    const p = scale.perPost;
    const r = scale.loaded;
    rows.push(
      [
        `Page ready at scale (goto → connected, all ${SCALE_OPEN} open alerts' cards in the DOM; ${count(SCALE_DEVICES)} devices; 1920×1080)`,
        ms(scale.ready.inDom),
        `≤ ${count(TARGET_READY_MS)} ms`,
        check(scale.ready.inDom <= TARGET_READY_MS),
      ],
      [`goto → next animation frame after (the full board painted)`, ms(scale.ready.frame), '', ''],
      [
        `POST → card in the DOM (or incident updated), ${SCALE_OPEN} open alerts and ${count(SCALE_DEVICES)} devices on the page (${SCALE_NEW} alerts)`,
        three(scale.inDom),
        `p99 ≤ ${TARGET_PAGE_P99_MS} ms`,
        check(scale.inDom.p99 <= TARGET_PAGE_P99_MS),
      ],
      [`POST → next animation frame after the card, at scale`, three(scale.frame), '', ''],
      [`POST → \`201\` (reference, same alerts)`, three(scale.created), '', ''],
      [
        `The tab's JS heap after a GC, ${SCALE_OPEN + SCALE_NEW} alerts (empty board, same devices)`,
        `${mb(scale.heap)} (${mb(scale.emptyHeap)})`,
        '',
        '',
      ],
    );
    const cardsOk =
      scale.timedOut === 0 &&
      c.twice === 0 &&
      c.redrawn === 0 &&
      c.duplicates === 0 &&
      c.missing === 0 &&
      c.unexpected === 0 &&
      c.shown === SCALE_OPEN + SCALE_NEW &&
      scale.pageErrors.length === 0;
    lines.push(
      `- scale: ${count(SCALE_DEVICES)} devices (${scale.problems.never} never heard from, ${scale.problems.spooling}` +
        ` with alerts in their spool, ${scale.problems.outdated} with an older agent; heartbeats` +
        ` ${JSON.stringify(scale.beats)}), drawn as ${count(b.deviceRows)} rows in #devices; the ${SCALE_OPEN} open` +
        ` alerts as ${b.incidents} incident cards (holding ${b.inIncidents} alerts) and ${b.alone} lone cards;` +
        ` of the ${SCALE_NEW} new ones, ${scale.joined} joined an incident, ${SCALE_NEW - scale.joined - scale.timedOut} came as a card of their own`,
      `- scale: every card drawn once (timed out ${scale.timedOut}, new ones drawn twice ${c.twice}, open alerts'` +
        ` cards drawn again ${c.redrawn}); at the end ${c.shown} cards in #active-alerts (duplicates ${c.duplicates},` +
        ` missing ${c.missing}, unexpected ${c.unexpected}); uncaught page errors ${scale.pageErrors.length} → ${check(cardsOk)}` +
        ` (console errors ${scale.consoleErrors.length})`,
      `- scale, the first load's work (until ${count(SETTLE_MS)} ms after ready: the devices, history and chart read too):` +
        ` script ${ms(r.script)}, style ${ms(r.style)}, layout ${ms(r.layout)}; ${count(b.elements)} elements in the` +
        ` document (${count(scale.elementsAfter)} after the new alerts)`,
      `- scale, during the ${p.seconds.toFixed(1)} s of new alerts (the page's timers and animations included):` +
        ` main thread busy ${(p.busy * 100).toFixed(0)} %; per alert script ${ms(p.script, 2)}, style ${ms(p.style, 2)}` +
        ` in ${p.styles.toFixed(1)} recalcs, layout ${ms(p.layout, 2)} in ${p.layouts.toFixed(1)} layouts, the rest` +
        ` of ${ms(p.task, 2)} paint, compositing, GC${REDUCED_MOTION ? ' (BENCH_REDUCED_MOTION=1: no pulse)' : ''};` +
        ` page clock − bench clock ${ms(scale.clockBefore.offset, 2)} before, ${ms(scale.clockAfter.offset, 2)} after` +
        ` (± ${ms(scale.clockBefore.rtt / 2, 2)})`,
    );
    for (const error of scale.pageErrors.slice(0, 5)) lines.push(`  - page error: ${error}`);
    for (const error of scale.consoleErrors.slice(0, 5)) lines.push(`  - console error: ${error}`);
  }

  for (const { name, server, exit } of servers) {
    const ok = exit?.code === 0 && server.logged.error === 0;
    lines.push(
      `- ${name} exited ${exit?.signal ?? exit?.code}, logged ${server.logged.error} errors → ${check(ok)}` +
        ` (and ${server.logged.warn} warnings)`,
    );
    if (!ok) lines.push(server.tail());
  }

  print();
  print(machineLine(info));
  print();
  print(table(['live delivery (p50 / p99 / max)', 'measured', 'target', 'verdict'], rows));
  print();
  for (const line of lines) print(line);
  print(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  if (verdicts.includes(false)) process.exitCode = 1;
}

module.exports = { main };
