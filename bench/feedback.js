'use strict';
/**
 * bench:feedback. What the person who pressed is shown (contract §8): the built button agent
 * (`run`, keyboard driver on a stdin pipe, its device stream `GET /devices/{id}/events` open)
 * against the built alert server (fresh SQLite file, `VIGIE_AUTH=off`) on loopback. Presses one
 * at a time; each is timed from the write of its line on the agent's stdin to the agent's
 * `feedback.state` line `stored` for it, then acknowledged on the API and timed from just before
 * that POST to the agent's `feedback.state` line `acknowledged`, then resolved (the agent must
 * show `resolved`). Afterwards the agent's idle CPU with the stream open, and every alert must
 * have been shown `stored`, `acknowledged` and `resolved` exactly once each, in that order.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { AGENT_MAIN, assertAgentBuilt, startAgent } = require('./lib/agent-process');
const { procSample, sampleFor, mb } = require('./lib/proc-stats');
const { print, machine, machineLine, table, ms, verdict } = require('./lib/report');
const { percentiles, sleep, within } = require('./lib/timing');
const { assertServerBuilt, startAlertServer } = require('./lib/server-process');

const PRESSES = Number(process.env.BENCH_PRESSES ?? 200);
/** Pause after an alert is shown `resolved` before the next press. */
const GAP_MS = Number(process.env.BENCH_PRESS_GAP_MS ?? 50);
// One device may make 120 requests in 10 s (the server's rate limit on POST /alerts, the
// heartbeat and the stream). Each press costs up to three: its POST and two heartbeats the agent
// sends at once to report `stored` and `acknowledged` for the alert's timeline. A 429 on a
// heartbeat makes the agent show `unreachable` (which hides `resolved`): presses are spaced to
// stay under it.
/** The next press no sooner than this after the previous one (≥ 250 ms to stay under the limit). */
const INTERVAL_MS = Number(process.env.BENCH_PRESS_INTERVAL_MS ?? 350);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
/** Wait after the presses before the idle window (the last heartbeat and its answer go by). */
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 2);
const TARGET_STORED_P99_MS = 100;
const TARGET_ACKNOWLEDGED_P99_MS = 500;
const TARGET_IDLE_CPU_PERCENT = 1;
const DEVICE = 'bench-feedback-01';
const OPERATOR = 'bench-operator';
const READY_TIMEOUT_MS = 30_000;
const STATE_TIMEOUT_MS = 15_000;
const STATES = ['stored', 'acknowledged', 'resolved'];

/**
 * Follows every press through the agent's log: written on stdin → `button.pressed` (the agent
 * read the line and made the alert id; lines are read in order, so the n-th `button.pressed` is
 * the n-th line written) → `alert.spooled` → `alert.delivered` (the POST's 2xx) and each
 * `feedback.state` line naming the alert, with the reception time of each.
 */
function feedbackTracker(agent) {
  const records = [];
  const byId = new Map();
  let pressed = 0;
  const unexpected = { pressed: 0, states: 0 };
  /** Every `feedback.state` line, in order: `{ state, alertId, at }`. */
  const shown = [];
  const waiting = new Set();
  agent.events.on('button.pressed', (entry, at) => {
    const record = records[pressed++];
    if (!record) return void unexpected.pressed++;
    record.id = entry.alertId;
    record.pressedAt = at;
    byId.set(entry.alertId, record);
  });
  agent.events.on('alert.spooled', (entry, at) => {
    const record = byId.get(entry.alertId);
    if (record) record.spooledAt = at;
  });
  agent.events.on('alert.delivered', (entry, at) => {
    const record = byId.get(entry.alertId);
    if (record) record.deliveredAt ??= at;
  });
  agent.events.on('feedback.state', (entry, at) => {
    shown.push({ state: entry.state, alertId: entry.alertId ?? null, at });
    if (!entry.alertId) return;
    const record = byId.get(entry.alertId);
    if (!record) return void unexpected.states++;
    record.shown.push(entry.state);
    record.shownAt[entry.state] ??= at;
    for (const wake of [...waiting]) wake();
  });
  return {
    records,
    unexpected,
    shown,
    press() {
      const record = { id: null, shown: [], shownAt: {} };
      records.push(record);
      record.writtenAt = agent.press();
      return record;
    },
    /** Resolves with the reception time of the record's first `feedback.state` line `state`. */
    shownAt(record, state) {
      return new Promise((resolve) => {
        const check = () => {
          if (record.shownAt[state] === undefined) return;
          waiting.delete(check);
          resolve(record.shownAt[state]);
        };
        waiting.add(check);
        check();
      });
    },
  };
}

/** POST /alerts/{id}/{action} `{"by"}` (VIGIE_AUTH=off: no sign-in; the body names the operator). */
async function operatorAction(url, alertId, action) {
  const response = await fetch(`${url}/alerts/${alertId}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ by: OPERATOR }),
  });
  const body = await response.text();
  if (response.status !== 200)
    throw new Error(`POST /alerts/${alertId}/${action} answered ${response.status}: ${body}`);
}

/** The value of one Prometheus sample of the server's /metrics. */
async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** Waits until the server counts the agent's device stream as open. */
async function streamOpen(url, agent) {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while ((await metric(url, 'vigie_device_feedback_streams')) < 1) {
    if (performance.now() > deadline)
      throw new Error(`the agent's device stream is not open after ${READY_TIMEOUT_MS} ms\n${agent.tail()}`);
    await sleep(50);
  }
  return performance.now();
}

/**
 * One press at a time: press → `stored` → acknowledge on the API → `acknowledged` → resolve →
 * `resolved`; the next press GAP_MS after that, and no sooner than INTERVAL_MS after this one.
 */
async function pressAll(server, agent, tracker) {
  const exited = agent.exited.then(({ code, signal }) => {
    throw new Error(`agent exited (${signal ?? code}) during the presses\n${agent.tail()}`);
  });
  const wait = (record, state, i) =>
    within(
      Promise.race([tracker.shownAt(record, state), exited]),
      STATE_TIMEOUT_MS,
      () => `press ${i + 1} (${record.id}) not shown ${state}\n${agent.tail()}`,
    );
  for (let i = 0; i < PRESSES; i++) {
    const record = tracker.press();
    await wait(record, 'stored', i);
    record.acknowledgeSentAt = performance.now();
    await operatorAction(server.url, record.id, 'acknowledge');
    record.acknowledgeAnsweredAt = performance.now();
    await wait(record, 'acknowledged', i);
    record.resolveSentAt = performance.now();
    await operatorAction(server.url, record.id, 'resolve');
    await wait(record, 'resolved', i);
    await sleep(Math.max(GAP_MS, record.writtenAt + INTERVAL_MS - performance.now()));
  }
}

/**
 * Each alert shown `stored`, `acknowledged`, `resolved` exactly once each and in that order
 * (`spooled` before them, once, is allowed), and no `feedback.state` line about another alert.
 */
function checkShown(tracker) {
  let wrong = 0;
  const examples = [];
  for (const record of tracker.records) {
    const states = record.shown.filter((state) => state !== 'spooled');
    const spooled = record.shown.filter((state) => state === 'spooled').length;
    const ok =
      record.id !== null &&
      spooled <= 1 &&
      (spooled === 0 || record.shown[0] === 'spooled') &&
      states.length === STATES.length &&
      states.every((state, index) => state === STATES[index]);
    if (!ok) {
      wrong++;
      if (examples.length < 3) examples.push(`${record.id}: ${record.shown.join(' → ')}`);
    }
  }
  const { unexpected } = tracker;
  return {
    ok:
      wrong === 0 &&
      unexpected.pressed === 0 &&
      unexpected.states === 0 &&
      tracker.records.length === PRESSES,
    presses: tracker.records.length,
    wrong,
    examples,
    unexpected,
  };
}

const IDLE_SAMPLE_MS = 250;

function describeIdle(samples, linesLogged) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const seconds = (last.at - first.at) / 1000;
  const cpuMs = last.cpuMs - first.cpuMs;
  const perSecond = [];
  const wakeUpsPerEachSecond = [];
  const step = 1000 / IDLE_SAMPLE_MS;
  for (let i = step; i < samples.length; i += step) {
    perSecond.push(samples[i].cpuMs - samples[i - step].cpuMs);
    wakeUpsPerEachSecond.push(samples[i].wakeUps - samples[i - step].wakeUps);
  }
  return {
    seconds,
    cpuMs,
    mainCpuMs: last.mainCpuMs - first.mainCpuMs,
    perSecond,
    wakeUpsPerEachSecond,
    cpuPercent: (cpuMs / (seconds * 1000)) * 100,
    wakeUpsPerSecond: (last.wakeUps - first.wakeUps) / seconds,
    rssEndKb: last.rssKb,
    last,
    linesLogged,
  };
}

const latencyCells = (stats) => `${ms(stats.p50)} / ${ms(stats.p99)} / ${ms(stats.max)}`;
const since = (records, from, to) => percentiles(records.map((record) => to(record) - from(record)));

async function main() {
  assertServerBuilt();
  assertAgentBuilt();
  const info = machine();
  const started = Date.now();
  print(
    `# bench:feedback (${path.relative(process.cwd(), AGENT_MAIN)}): button agent (keyboard driver on a pipe,` +
      ` device stream open) ↔ alert server on loopback, ${PRESSES} presses one at a time (at most one` +
      ` every ${INTERVAL_MS} ms), each stored, acknowledged and resolved`,
  );
  print(machineLine(info, info.load));
  print();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-feedback-'));
  let server = null;
  let agent = null;
  // Ctrl+C or a kill: no `finally` runs then, so end both children and remove the folder here.
  const onSignal = (signal) => {
    for (const child of [agent, server]) if (child) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`bench:feedback stopped by ${signal}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    server = await startAlertServer(path.join(dir, 'vigie.db'));
    // VIGIE_HEARTBEAT_S=30 (production's), as startAgent sets it.
    agent = startAgent({
      serverUrl: server.url,
      spoolDir: path.join(dir, 'spool'),
      deviceId: DEVICE,
      env: { VIGIE_HEARTBEAT_S: '30' },
    });
    const tracker = feedbackTracker(agent);
    const readyAt = await agent.when('agent.ready', READY_TIMEOUT_MS);
    const openAt = await streamOpen(server.url, agent);
    print(
      `start-up: agent.ready ${ms(readyAt - agent.spawnedAt, 0)}, device stream open (server's gauge)` +
        ` ≤ ${ms(openAt - agent.spawnedAt, 0)} after spawn`,
    );

    const before = procSample(agent.pid);
    const pressStart = performance.now();
    await pressAll(server, agent, tracker);
    const pressSeconds = (performance.now() - pressStart) / 1000;
    const after = procSample(agent.pid);
    print(`${PRESSES} presses, each stored, acknowledged and resolved, in ${pressSeconds.toFixed(1)} s`);

    await sleep(SETTLE_SECONDS * 1000);
    const linesBefore = agent.logged.lines;
    const idle = describeIdle(
      await sampleFor(agent.pid, IDLE_SECONDS, IDLE_SAMPLE_MS),
      agent.logged.lines - linesBefore,
    );
    const streamsAfterIdle = await metric(server.url, 'vigie_device_feedback_streams');
    print(
      `idle ${idle.seconds.toFixed(1)} s (stream open: ${streamsAfterIdle >= 1 ? 'yes' : 'no'}): CPU` +
        ` ${ms(idle.cpuMs, 0)} (${idle.cpuPercent.toFixed(2)} %; main thread ${ms(idle.mainCpuMs, 0)};` +
        ` ms per second: ${idle.perSecond.join(' ')}), ${idle.wakeUpsPerSecond.toFixed(1)} wake-ups/s (each second:` +
        ` ${idle.wakeUpsPerEachSecond.join(' ')}) over ${idle.last.threads} threads, RSS ${mb(idle.rssEndKb)}, ${idle.linesLogged} log lines`,
    );

    const check = checkShown(tracker);
    const stop = await agent.stop();
    const agentLogged = { ...agent.logged };
    agent = null;
    const serverStop = await server.stop();
    const serverErrors = server.logged.error;
    server = null;

    const records = tracker.records;
    const stored = since(
      records,
      (r) => r.writtenAt,
      (r) => r.shownAt.stored,
    );
    const acknowledged = since(
      records,
      (r) => r.acknowledgeSentAt,
      (r) => r.shownAt.acknowledged,
    );
    const resolved = since(
      records,
      (r) => r.resolveSentAt,
      (r) => r.shownAt.resolved,
    );
    const ackAnswer = since(
      records,
      (r) => r.acknowledgeSentAt,
      (r) => r.acknowledgeAnsweredAt,
    );
    const ackAfterAnswer = since(
      records,
      (r) => r.acknowledgeAnsweredAt,
      (r) => r.shownAt.acknowledged,
    );
    const read = since(
      records,
      (r) => r.writtenAt,
      (r) => r.pressedAt,
    );
    const spool = since(
      records,
      (r) => r.pressedAt,
      (r) => r.spooledAt,
    );
    const toStored = since(
      records,
      (r) => r.spooledAt,
      (r) => r.shownAt.stored,
    );
    // `stored` from the device stream's alert.stored, before the POST's 2xx was logged.
    const storedFromStream = records.filter(
      (r) => r.shownAt.stored !== undefined && !(r.deliveredAt <= r.shownAt.stored),
    ).length;

    const storedOk = stored.n === PRESSES && stored.p99 <= TARGET_STORED_P99_MS;
    const acknowledgedOk = acknowledged.n === PRESSES && acknowledged.p99 <= TARGET_ACKNOWLEDGED_P99_MS;
    const cpuOk = idle.cpuPercent < TARGET_IDLE_CPU_PERCENT && streamsAfterIdle >= 1;
    // On loopback with the server up the button must never say it cannot reach it.
    const unreachable = tracker.shown.filter((line) => line.state === 'unreachable').length;
    const cleanOk =
      stop.code === 0 &&
      serverStop.code === 0 &&
      agentLogged.warn + agentLogged.error === 0 &&
      serverErrors === 0 &&
      unreachable === 0;

    print();
    print(machineLine(info));
    print();
    print(
      table(
        ['button feedback', 'measured', 'target', 'verdict'],
        [
          [
            `press → \`feedback.state\` \`stored\` (p50 / p99 / max, ${stored.n} presses)`,
            latencyCells(stored),
            `p99 ≤ ${TARGET_STORED_P99_MS} ms`,
            verdict(storedOk),
          ],
          [
            'acknowledge POST sent → `feedback.state` `acknowledged` (p50 / p99 / max)',
            latencyCells(acknowledged),
            `p99 ≤ ${TARGET_ACKNOWLEDGED_P99_MS} ms`,
            verdict(acknowledgedOk),
          ],
          [
            `CPU idle over ${IDLE_SECONDS} s, device stream open`,
            `${idle.cpuPercent.toFixed(2)} % (${ms(idle.cpuMs, 0)}, main thread ${ms(idle.mainCpuMs, 0)},` +
              ` busiest second ${ms(Math.max(...idle.perSecond), 0)}; ${idle.wakeUpsPerSecond.toFixed(1)} wake-ups/s)`,
            `< ${TARGET_IDLE_CPU_PERCENT} %`,
            verdict(cpuOk),
          ],
          [
            'each alert shown `stored` → `acknowledged` → `resolved`, once each',
            `${check.presses - check.wrong} of ${check.presses} alerts`,
            'all, once, in order',
            verdict(check.ok),
          ],
        ].map((cells) => cells.map(String)),
      ),
    );
    print();
    print('Where the time goes (p50 / p99 / max):');
    print();
    print(
      table(
        ['stage', 'measured'],
        [
          ['stdin write → `button.pressed` (agent reads the line)', latencyCells(read)],
          ['→ `alert.spooled` (spool file, fsync, rename, dir fsync)', latencyCells(spool)],
          [
            '→ `feedback.state` `stored` (POST, server commit, 2xx, unlink; or the stream)',
            latencyCells(toStored),
          ],
          ['acknowledge POST sent → its `200` (the bench reads the answer)', latencyCells(ackAnswer)],
          ['acknowledge `200` read → `feedback.state` `acknowledged`', latencyCells(ackAfterAnswer)],
          ['resolve POST sent → `feedback.state` `resolved` (not a target)', latencyCells(resolved)],
          [
            'agent CPU per press, stored + acknowledged + resolved (all threads / main thread)',
            `${ms((after.cpuMs - before.cpuMs) / PRESSES, 2)} / ${ms((after.mainCpuMs - before.mainCpuMs) / PRESSES, 2)}`,
          ],
        ],
      ),
    );
    print();
    print(
      `- shown: ${check.presses} presses, ${check.wrong} not shown stored → acknowledged → resolved once each` +
        `${check.examples.length ? ` (${check.examples.join('; ')})` : ''}, presses not written` +
        ` ${check.unexpected.pressed}, lines about unknown alerts ${check.unexpected.states};` +
        ` \`stored\` shown before the POST's 2xx was logged (from the stream) for ${storedFromStream}: ${verdict(check.ok)}`,
    );
    print(
      `- clean: agent exit ${stop.signal ?? stop.code}, server exit ${serverStop.signal ?? serverStop.code},` +
        ` agent warnings/errors ${agentLogged.warn}/${agentLogged.error}, server errors ${serverErrors},` +
        ` \`unreachable\` shown ${unreachable} times:` +
        ` ${verdict(cleanOk)}`,
    );
    print(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
    const ok = storedOk && acknowledgedOk && cpuOk && check.ok && cleanOk;
    print(ok ? 'PASS: every target met, every check passed' : 'FAIL: a target or a check failed');
    if (!ok) process.exitCode = 1;
  } finally {
    if (agent) await agent.stop();
    if (server) await server.stop();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

module.exports = { main };
