'use strict';
/**
 * bench:live. How fast an alert reaches the security posts: the built alert server (fresh
 * SQLite file) with BENCH_STREAMS `GET /events` streams open (plain node http clients, each
 * parsing the SSE frames), then BENCH_ALERTS alerts posted one at a time; each is timed from
 * the POST to its `alert.created` event on every stream. Then the dashboard in Chromium: from
 * the POST to its card in the page's DOM, stamped in the page by a MutationObserver.
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

/**
 * The server runs as in production (VIGIE_AUTH=required): each POST carries its device's
 * token, the page an operator's session cookie, the streams one of `streamCookies`: a session
 * may hold only MAX_STREAMS_PER_SESSION streams, so 200 streams are as many browsers' sessions.
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
const TARGET_STREAMS_P99_MS = 50;
const TARGET_PAGE_P99_MS = 150;
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

async function measurePage(server, agent) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
  try {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const [name, value] = credentials.cookie.split('=');
    await context.addCookies([{ name, value, url: server.url, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const drawn = new Map();
    const waiting = new Map();
    // Called by the page (over the DevTools pipe: slow, hence the stamps made in the page).
    await page.exposeFunction('benchCardDrawn', (id, inDom, frame) => {
      drawn.set(id, { inDom, frame, times: (drawn.get(id)?.times ?? 0) + 1 });
      waiting.get(id)?.();
    });
    await page.goto(server.url);
    await page.locator('#connection-state[data-state="connected"]').waitFor({ state: 'attached' });
    // Runs in the page.
    /* global window, document, MutationObserver, HTMLElement, requestAnimationFrame */
    await page.evaluate(() => {
      const report = window.benchCardDrawn;
      const board = document.getElementById('active-alerts');
      // Not a data attribute on the card: that would be a DOM write (style work) of the bench's own.
      const seen = new WeakSet();
      new MutationObserver((records) => {
        // A microtask right after the mutation: the card is in the DOM, not yet painted.
        const inDom = performance.timeOrigin + performance.now();
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (!(node instanceof HTMLElement)) continue;
            // Alerts pressed together are one incident card: a new alert's card may come inside a
            // new incident card, or into the (closed) list of one already shown, not only alone.
            const cards = node.matches('.alert-card') ? [node] : node.querySelectorAll('.alert-card');
            for (const card of cards) {
              const id = card.dataset.alertId;
              if (!id || seen.has(card)) continue;
              seen.add(card);
              // The frame that paints it starts at the next animation frame callback.
              requestAnimationFrame(() => report(id, inDom, performance.timeOrigin + performance.now()));
            }
          }
        }
      }).observe(board, { childList: true, subtree: true });
    });
    const clockBefore = await clockOffset(page);

    const inDom = [];
    const frame = [];
    let timedOut = 0;
    for (let i = 0; i < PAGE_WARMUP_ALERTS + PAGE_ALERTS; i++) {
      const body = alertBody();
      const shown = new Promise((resolve) => waiting.set(body.id, resolve));
      const sentAt = epochNow();
      const answer = await postAlert(server.url, agent, body);
      if (answer.status !== 201) throw new Error(`POST /alerts answered ${answer.status}`);
      let timer;
      const ok = await Promise.race([
        shown.then(() => true),
        new Promise((resolve) => (timer = setTimeout(resolve, DELIVERY_TIMEOUT_MS, false))),
      ]);
      clearTimeout(timer);
      waiting.delete(body.id);
      if (!ok) timedOut++;
      else if (i >= PAGE_WARMUP_ALERTS) {
        const times = drawn.get(body.id);
        inDom.push(times.inDom - sentAt);
        frame.push(times.frame - sentAt);
      }
      await sleep(PAUSE_MS);
    }
    const clockAfter = await clockOffset(page);
    const twice = [...drawn.values()].filter((times) => times.times > 1).length;
    return { inDom: stats(inDom), frame: stats(frame), clockBefore, clockAfter, timedOut, twice, pageErrors };
  } finally {
    await browser.close();
  }
}

// --- report --------------------------------------------------------------------------------------

async function main() {
  assertServerBuilt();
  const info = machine();
  const started = Date.now();
  print(
    `# bench:live: ${count(ALERTS)} alerts posted one at a time (${PAUSE_MS} ms apart) to ${STREAMS} GET /events streams,` +
      ` then ${PAGE_ALERTS} to the dashboard in Chromium`,
  );
  print(`(after ${WARMUP_ALERTS} warm-up alerts; one fresh alert server, SQLite WAL, synchronous=FULL)`);
  print(machineLine(info, info.load));
  print();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-live-'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let streams;
  let pageResult;
  let exit;
  let server;
  try {
    const sqlitePath = path.join(dir, 'live.db');
    credentials.tokens = provisionDeviceTokens(sqlitePath);
    addOperator(sqlitePath, OPERATOR.name, OPERATOR.password);
    credentials.streamCookies = addSessions(
      sqlitePath,
      OPERATOR.name,
      Math.ceil(STREAMS / MAX_STREAMS_PER_SESSION),
    );
    server = await startAlertServer(sqlitePath, { env: { VIGIE_AUTH: 'required' } });
    credentials.cookie = await signIn(server.url);
    streams = await measureStreams(server, agent);
    print(
      `streams: ${count(streams.check.once)} of ${count(streams.check.expected)} deliveries;` +
        ` POST → event on every stream p99 ${ms(streams.lastStream.p99)}`,
    );
    // The page starts with an empty board, as a security post would: the alerts above resolved.
    for (const id of streams.ids) await resolveAlert(server.url, agent, id);
    pageResult = await measurePage(server, agent);
    print(`page: ${pageResult.inDom.count} cards; POST → card in the DOM p99 ${ms(pageResult.inDom.p99)}`);
  } finally {
    agent.destroy();
    exit = await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const c = streams.check;
  const streamsOk = streams.deliveries.p99 <= TARGET_STREAMS_P99_MS;
  const lastOk = streams.lastStream.p99 <= TARGET_STREAMS_P99_MS;
  const pageOk = pageResult.inDom.p99 <= TARGET_PAGE_P99_MS;
  const onceOk =
    c.once === c.expected &&
    c.missing === 0 &&
    c.duplicates === 0 &&
    c.unknown === 0 &&
    streams.timedOut === 0 &&
    streams.stillOpen === STREAMS;
  const createdOk = streams.statuses[201] === WARMUP_ALERTS + ALERTS;
  const pageCardsOk =
    pageResult.timedOut === 0 && pageResult.twice === 0 && pageResult.pageErrors.length === 0;
  const serverOk = exit?.code === 0 && server.logged.error === 0;

  print();
  print(machineLine(info));
  print();
  print(
    table(
      ['live delivery (p50 / p99 / max)', 'measured', 'target', 'verdict'],
      [
        [
          `POST → \`alert.created\` on a stream, each of ${count(streams.deliveries.count)} deliveries (${ALERTS} alerts × ${STREAMS} streams)`,
          three(streams.deliveries),
          `p99 ≤ ${TARGET_STREAMS_P99_MS} ms`,
          verdict(streamsOk),
        ],
        [
          `POST → \`alert.created\` on the last of the ${STREAMS} streams, per alert`,
          three(streams.lastStream),
          `p99 ≤ ${TARGET_STREAMS_P99_MS} ms`,
          verdict(lastOk),
        ],
        [
          `POST → \`alert.created\` on the first of the ${STREAMS} streams, per alert (the rest is the fan-out)`,
          three(streams.firstStream),
          '',
          '',
        ],
        [`POST → \`201\` (reference, same alerts)`, three(streams.created), '', ''],
        [
          `POST → card in the dashboard's DOM (Chromium, ${PAGE_ALERTS} alerts)`,
          three(pageResult.inDom),
          `p99 ≤ ${TARGET_PAGE_P99_MS} ms`,
          verdict(pageOk),
        ],
        [
          `POST → next animation frame after the card (painted in that frame)`,
          three(pageResult.frame),
          '',
          '',
        ],
      ],
    ),
  );
  print();
  print(
    `- every stream got every alert exactly once: ${count(c.once)} of ${count(c.expected)} deliveries` +
      ` (${count(WARMUP_ALERTS + ALERTS)} alerts incl. warm-up × ${STREAMS} streams), missing ${c.missing},` +
      ` duplicates ${c.duplicates}, unknown ids ${c.unknown}, alerts timed out ${streams.timedOut};` +
      ` streams still open at the end ${streams.stillOpen}/${STREAMS} → ${verdict(onceOk)}`,
  );
  print(
    `- every POST answered 201: ${JSON.stringify(streams.statuses)} → ${verdict(createdOk)};` +
      ` server CPU per alert with ${STREAMS} streams: ${ms(streams.cpuMsPerAlert, 2)}`,
  );
  print(
    `- page: every card drawn once (timed out ${pageResult.timedOut}, twice ${pageResult.twice}),` +
      ` uncaught page errors ${pageResult.pageErrors.length} → ${verdict(pageCardsOk)};` +
      ` page clock − bench clock ${ms(pageResult.clockBefore.offset, 2)} before,` +
      ` ${ms(pageResult.clockAfter.offset, 2)} after (± half a round trip: ${ms(pageResult.clockBefore.rtt / 2, 2)})`,
  );
  print(
    `- server exited ${exit?.signal ?? exit?.code}, logged ${server.logged.error} errors → ${verdict(serverOk)}` +
      ` (and ${server.logged.warn} warnings)`,
  );
  if (!serverOk) print(server.tail());
  print(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  if (!(streamsOk && lastOk && pageOk && onceOk && createdOk && pageCardsOk && serverOk))
    process.exitCode = 1;
}

module.exports = { main };
