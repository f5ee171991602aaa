'use strict';
/**
 * bench:notify. Notifications on the built server as in production (device tokens, a generated
 * VIGIE_NOTIFY_FILE) to real local receivers: a webhook HTTP receiver, Debian's mosquitto with a
 * QoS 1 subscriber, an SMTP server (bench/lib/notify-receivers.js, in a process of their own).
 *
 * 1. Delivery: BENCH_ALERTS emergency alerts posted over BENCH_SPREAD_SECONDS on a fixed
 *    schedule, a rule of three steps (0 s, 5 s, 10 s by default), each to the three channels.
 *    Each notification is timed from its due time (the alert's receivedAt in the 201 answer +
 *    the step's `after`) to its arrival at the receiver, and every (alert, step, channel) must
 *    arrive exactly once.
 * 2. Ingestion: POST /alerts as bench:ingest loads it (same connections, same traffic, 60 % of it
 *    emergencies), on fresh processes alternating within this run, three ways:
 *    - off: no notification file;
 *    - on: the file, every emergency escalated, its steps due after the round (BENCH_LATER_STEPS):
 *      what notifications cost the ingest path itself (the rule, the escalation row written in
 *      the alert's transaction, the scheduler woken by each alert). The target is on this one:
 *      sending runs beside ingestion, so only this share is paid per request;
 *    - fan-out: the file with the delivery rule (first step at once): every emergency of the
 *      flood is sent to every channel while the flood goes on, some 2,000 sends a second on
 *      the cores the load and receivers share. A capacity figure, no target: a real site's
 *      burst is a few hundred presses, not a thousand a second for seconds.
 */
const { randomBytes } = require('node:crypto');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { alertBody, makeDevices, MESSAGES, BUTTONS, pick } = require('./lib/alert-data');
const { provisionDeviceTokens } = require('./lib/device-tokens');
const { load, merge, summarize } = require('./lib/load');
const { startReceivers } = require('./lib/notify-receivers');
const { procSample } = require('./lib/proc-stats');
const { print, machine, machineLine, table, ms, rate, verdict } = require('./lib/report');
const { assertServerBuilt, startAlertServer } = require('./lib/server-process');

const ALERTS = Number(process.env.BENCH_ALERTS ?? 200);
const SPREAD_SECONDS = Number(process.env.BENCH_SPREAD_SECONDS ?? 20);
/** The rule's steps, seconds after reception; every step notifies every channel. */
const STEPS_S = (process.env.BENCH_STEPS ?? '0,5,10').split(',').map(Number);
/** The same rule for the ingestion target's rounds: no step due before the round ends. */
const LATER_STEPS_S = (process.env.BENCH_LATER_STEPS ?? '600,1200,1800').split(',').map(Number);
/** After the last notification is due, how long to wait for what is still missing. */
const WAIT_SECONDS = Number(process.env.BENCH_WAIT_SECONDS ?? 30);
/** Once all have arrived, how long to go on listening for duplicates. */
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** As bench:ingest: enough devices that the per-device rate limit is never what is measured. */
const DEVICES = makeDevices(Number(process.env.BENCH_DEVICES ?? 1000));

/** The receivers' kinds the steps notify (all three by default; fewer to see what one costs). */
const CHANNELS = (process.env.BENCH_CHANNELS ?? 'webhook,mqtt,email').split(',');
/** The file's channel names, by kind. */
const CHANNEL_NAMES = { webhook: 'hook', mqtt: 'broker', email: 'mail' };
const EMERGENCIES = ['fire', 'intrusion', 'medical', 'panic'];
const TARGET_P99_MS = 1000;
const TARGET_RATIO = 0.9;
const POLL_MS = 250;

const sleep = (delayMs) => new Promise((resolve) => setTimeout(resolve, Math.max(0, delayMs)));
const percent = (fraction) => (Number.isFinite(fraction) ? `${(fraction * 100).toFixed(0)} %` : 'n/a');
const count = (value) => value.toLocaleString('en-US');

/**
 * The rule under test for emergencies; drills (`test`, 40 % of bench:ingest's traffic) notify
 * nobody, as in deploy/notify.example.yml.
 */
function notifyFileText(receivers, steps = STEPS_S) {
  const definitions = {
    webhook: `hook: { webhook: { url: "${receivers.webhookUrl}", secret: "\${BENCH_HOOK_SECRET}" } }`,
    mqtt: `broker: { mqtt: { url: "${receivers.mqttUrl}", topic: "${receivers.mqttTopic}" } }`,
    email: `mail: { email: { smtp: "${receivers.smtpUrl}", from: "vigie@example.org", to: ["security@example.org"] } }`,
  };
  const names = CHANNELS.map((kind) => CHANNEL_NAMES[kind]).join(', ');
  return [
    // Only the channels the steps use: an idle one (the MQTT connection) would cost a little too.
    'channels:',
    ...CHANNELS.map((kind) => `  ${definitions[kind]}`),
    'escalation:',
    `  - match: { type: [${EMERGENCIES.join(', ')}] }`,
    '    steps:',
    ...steps.map((after) => `      - { after: ${after}s, notify: [${names}] }`),
    '  - match: { type: [test] }',
    '    steps: []',
    '',
  ].join('\n');
}

function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (q) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), min: sorted[0] ?? NaN, max: at(1) };
}

const threeMs = (stats) => `${ms(stats.p50)} / ${ms(stats.p99)} / ${ms(stats.max)}`;

/** The server's exit and its logged problems, as one line; throws when it did not exit cleanly. */
async function stopServer(server) {
  const exit = await server.stop();
  if (exit.code !== 0) {
    throw new Error(`alert server exited with ${exit.signal ?? exit.code}\n${server.tail()}`);
  }
  return server.logged;
}

// ------------------------------------------------------------------------------------ delivery

/** One alert as a button posts it, on its own device (so the email's subject names it too). */
async function postAlert(url, device, token) {
  const body = alertBody(Date.now(), [device]);
  const type = pick(EMERGENCIES);
  Object.assign(body, { type, message: MESSAGES[type], button: BUTTONS[type] });
  const response = await fetch(`${url}/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  return response.status === 201
    ? { id: answer.id, receivedAt: answer.receivedAt }
    : { status: response.status };
}

/** The outbox rows, by notification id: which alert, step and channel each id stands for. */
function outboxRows(sqlitePath) {
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  const rows = db
    .prepare(
      'select id, alert_id, subject, step, channel, channel_kind, due_at, state, attempts from notifications',
    )
    .all();
  db.close();
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Matches arrivals to (alert, step, channel) through the notification id each carries (the
 * outbox row says which); the webhook and MQTT bodies must agree with it. The first arrival of
 * each is timed; any other is a duplicate, whether it repeats the id (a resend) or not (a
 * second row for the same step).
 */
function matchArrivals(alerts, arrivals, rows) {
  const byAlert = new Map(alerts.map((alert) => [alert.id, Date.parse(alert.receivedAt)]));
  const first = new Map();
  const problems = { duplicates: 0, resends: 0, unknown: 0, mismatched: 0, dueMismatch: 0, early: 0 };
  const seenIds = new Set();
  for (const entry of arrivals.sort((a, b) => a.at - b.at)) {
    const row = rows.get(entry.id);
    const receivedAt = row ? byAlert.get(row.alert_id) : undefined;
    if (!row || receivedAt === undefined || row.subject !== 'alert.escalated') {
      problems.unknown++;
      continue;
    }
    const bodySays = entry.channel === 'email' || (entry.alertId === row.alert_id && entry.step === row.step);
    if (row.channel_kind !== entry.channel || !bodySays) problems.mismatched++;
    if (seenIds.has(entry.id)) problems.resends++;
    seenIds.add(entry.id);
    const key = `${row.alert_id}|${row.step}|${entry.channel}`;
    if (first.has(key)) {
      problems.duplicates++;
      continue;
    }
    const due = receivedAt + STEPS_S[row.step - 1] * 1000;
    if (Date.parse(row.due_at) !== due) problems.dueMismatch++;
    if (entry.at < due) problems.early++;
    first.set(key, { channel: entry.channel, step: row.step, delayMs: entry.at - due });
  }
  const expected = alerts.length * STEPS_S.length * CHANNELS.length;
  return { first, expected, missing: expected - first.size, ...problems };
}

async function deliveryPhase(dir, receivers, serverEnv) {
  const sqlitePath = path.join(dir, 'delivery.db');
  const devices = DEVICES.slice(0, Math.min(ALERTS, DEVICES.length));
  const tokens = provisionDeviceTokens(sqlitePath, devices);
  const server = await startAlertServer(sqlitePath, { env: serverEnv });
  let logged;
  let posted;
  let arrivals = [];
  try {
    await receivers.take();
    const intervalMs = (SPREAD_SECONDS * 1000) / ALERTS;
    const start = performance.now();
    const posts = [];
    // A fixed schedule, not one at a time: the alerts come whether the previous one is answered.
    for (let index = 0; index < ALERTS; index++) {
      await sleep(start + index * intervalMs - performance.now());
      const device = devices[index % devices.length];
      posts.push(postAlert(server.url, device, tokens.get(device.id)));
    }
    posted = await Promise.all(posts);
    const alerts = posted.filter((answer) => answer.id);
    const expected = alerts.length * STEPS_S.length * CHANNELS.length;
    const lastDue =
      Math.max(...alerts.map((alert) => Date.parse(alert.receivedAt))) + Math.max(...STEPS_S) * 1000;
    const unique = new Set();
    const deadline = lastDue + WAIT_SECONDS * 1000;
    while (unique.size < expected && Date.now() < deadline) {
      await sleep(POLL_MS);
      for (const entry of await receivers.take()) {
        arrivals.push(entry);
        unique.add(`${entry.channel}|${entry.id}`);
      }
    }
    print(
      `  ${count(unique.size)} of ${count(expected)} notifications in, ` +
        `${((Date.now() - lastDue) / 1000).toFixed(1)} s after the last was due; listening ${SETTLE_SECONDS} s more for duplicates`,
    );
    await sleep(SETTLE_SECONDS * 1000);
    arrivals = arrivals.concat(await receivers.take());
  } finally {
    logged = await stopServer(server);
  }
  const rows = outboxRows(sqlitePath);
  const alerts = posted.filter((answer) => answer.id);
  const outbox = { total: rows.size, retried: 0, states: {} };
  for (const row of rows.values()) {
    outbox.states[row.state] = (outbox.states[row.state] ?? 0) + 1;
    if (row.attempts > 1) outbox.retried++;
  }
  return {
    alerts,
    refused: posted.length - alerts.length,
    match: matchArrivals(alerts, arrivals, rows),
    outbox,
    logged,
    tail: server.tail(),
  };
}

// ------------------------------------------------------------------------------------ ingestion

/** bench:ingest's traffic: a fresh body and client-made id per request, each with its device's token. */
function postAlertRequests(tokens) {
  return [
    {
      method: 'POST',
      path: '/alerts',
      headers: { 'content-type': 'application/json' },
      setupRequest(request) {
        const body = alertBody(Date.now(), DEVICES);
        const headers = { ...request.headers, authorization: `Bearer ${tokens.get(body.deviceId)}` };
        return { ...request, headers, body: JSON.stringify(body) };
      },
    },
  ];
}

/** As bench:ingest measures: a warm-up, then the measured run, with the server's CPU time. */
async function measure(server, tokens) {
  const options = {
    url: server.url,
    connections: CONNECTIONS,
    requests: postAlertRequests(tokens),
    cpu: server.cpuMs,
  };
  await load({ ...options, seconds: WARMUP_SECONDS });
  const before = procSample(server.pid);
  const sample = await load({ ...options, seconds: SECONDS });
  const after = procSample(server.pid);
  sample.mainCpuMs = before && after ? after.mainCpuMs - before.mainCpuMs : NaN;
  return sample;
}

/** What the outbox holds after a round: what the rule made due and what was sent before the stop. */
function outboxCounts(sqlitePath) {
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  const alerts = db.prepare('select count(*) from alerts').pluck().get();
  // Drills have an escalation row too (no steps): count those with a step to come or fired.
  const escalations = db
    .prepare("select count(*) from escalations where next_firing > 0 or state = 'active'")
    .pluck()
    .get();
  const rows = db
    .prepare("select count(*) from notifications where subject = 'alert.escalated'")
    .pluck()
    .get();
  const sent = db.prepare("select count(*) from notifications where state = 'sent'").pluck().get();
  db.close();
  return { alerts, escalations, rows, sent };
}

/** The ingestion rounds' three ways (see the top of this file), each with its server's environment. */
const MODES = ['off', 'on', 'fan-out'];

async function ingestRound(dir, round, mode, receivers, envs) {
  const notify = mode !== 'off';
  const sqlitePath = path.join(dir, `ingest-${round}-${mode}.db`);
  const tokens = provisionDeviceTokens(sqlitePath, DEVICES);
  if (notify) await receivers.take({ summary: true });
  const server = await startAlertServer(sqlitePath, { env: envs[mode] });
  let sample;
  let receiversCpu = null;
  try {
    const cpuBefore = notify ? await receivers.cpuMs() : null;
    sample = await measure(server, tokens);
    if (notify) {
      const cpuAfter = await receivers.cpuMs();
      receiversCpu = {
        receivers: cpuAfter.receivers - cpuBefore.receivers,
        broker: cpuAfter.broker - cpuBefore.broker,
      };
    }
  } finally {
    const logged = await stopServer(server);
    if (logged.error > 0) print(`  ! the server logged ${logged.error} errors:\n${server.tail()}`);
  }
  const delivered = notify ? await receivers.take({ summary: true }) : null;
  const outbox = outboxCounts(sqlitePath);
  if (!process.env.BENCH_KEEP) rmSync(sqlitePath, { force: true });
  return { sample, delivered, outbox, receiversCpu };
}

function describeRound(name, sample) {
  const summary = summarize(sample);
  return (
    `${name.padEnd(17)} ${rate(summary.rps).padStart(6)} req/s  p50 ${ms(summary.p50)}  p99 ${ms(summary.p99)}` +
    `  CPU ${ms(summary.cpuMsPerRequest, 2)}/req  errors ${summary.failed}`
  );
}

// ------------------------------------------------------------------------------------ main

async function main() {
  const unknown = CHANNELS.filter((kind) => !Object.hasOwn(CHANNEL_NAMES, kind));
  if (unknown.length > 0 || CHANNELS.length === 0) {
    throw new Error(`BENCH_CHANNELS: ${unknown.join(', ') || '(empty)'}: expected webhook, mqtt, email`);
  }
  assertServerBuilt();
  const info = machine();
  const started = Date.now();
  print(
    `# bench:notify: ${ALERTS} alerts over ${SPREAD_SECONDS} s, steps at ${STEPS_S.map((s) => `${s} s`).join(', ')}` +
      ` to ${CHANNELS.join(', ')}; then ${ROUNDS} rounds of POST /alerts (${CONNECTIONS} connections,` +
      ` ${SECONDS} s after ${WARMUP_SECONDS} s) notifications off, on (steps later) and fanned out at once`,
  );
  print(machineLine(info, info.load));
  print();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-notify-'));
  const receivers = await startReceivers();
  const notifyFile = path.join(dir, 'notify.yml');
  writeFileSync(notifyFile, notifyFileText(receivers));
  const laterFile = path.join(dir, 'notify-later.yml');
  writeFileSync(laterFile, notifyFileText(receivers, LATER_STEPS_S));
  const serverEnv = {
    VIGIE_AUTH: 'required',
    VIGIE_NOTIFY_FILE: notifyFile,
    BENCH_HOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  };
  const envs = {
    off: { VIGIE_AUTH: serverEnv.VIGIE_AUTH },
    on: { ...serverEnv, VIGIE_NOTIFY_FILE: laterFile },
    'fan-out': serverEnv,
  };
  const labels = {
    off: 'notifications off',
    on: 'on, steps later',
    'fan-out': 'on, fan-out now',
  };

  let delivery;
  const samples = { off: [], on: [], 'fan-out': [] };
  const ratios = { on: [], 'fan-out': [] };
  try {
    print('delivery:');
    delivery = await deliveryPhase(dir, receivers, serverEnv);
    print();
    print('ingestion (off, on with steps later, on with fan-out now: rotated, each on a fresh process):');
    for (let round = 1; round <= ROUNDS; round++) {
      // Rotated each round: a machine that slows down during the run weighs on all alike.
      const order = MODES.map((_, index) => MODES[(index + round - 1) % MODES.length]);
      const results = {};
      for (const mode of order) {
        const result = await ingestRound(dir, round, mode, receivers, envs);
        results[mode] = result;
        samples[mode].push(result.sample);
        print(`round ${round}  ${describeRound(labels[mode], result.sample)}`);
        if (mode !== 'off') {
          const { outbox, delivered, receiversCpu } = result;
          const got = CHANNELS.map((channel) => `${channel} ${count(delivered[channel] ?? 0)}`).join(', ');
          print(
            `         ${count(outbox.alerts)} stored, ${count(outbox.escalations)} escalations, ` +
              `${count(outbox.rows)} notifications made, ${count(outbox.sent)} sent before the stop; received: ${got}`,
          );
          // The receivers run on the same cores as the server and the load: their CPU shows it.
          const perRequest = (cpuMs) => ms(cpuMs / result.sample.responses, 2);
          print(
            `         receivers' CPU during the load (warm-up included) per request: ${perRequest(receiversCpu.receivers)}` +
              ` (webhook, SMTP, MQTT subscriber) + ${perRequest(receiversCpu.broker)} (mosquitto)`,
          );
        }
      }
      const offRps = summarize(results.off.sample).rps;
      for (const mode of ['on', 'fan-out']) ratios[mode].push(summarize(results[mode].sample).rps / offRps);
      print(
        `         this round: on / off ${percent(ratios.on.at(-1))}, fan-out / off ${percent(ratios['fan-out'].at(-1))}`,
      );
    }
  } finally {
    await receivers.stop();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }

  const { match } = delivery;
  const byChannel = CHANNELS.map((channel) => {
    const delays = [...match.first.values()].filter((entry) => entry.channel === channel);
    return { channel, stats: percentiles(delays.map((entry) => entry.delayMs)) };
  });
  const byStep = STEPS_S.map((after, index) => ({
    after,
    stats: percentiles(
      [...match.first.values()].filter((entry) => entry.step === index + 1).map((entry) => entry.delayMs),
    ),
  }));
  const delaysOk = byChannel.every(({ stats }) => stats.n > 0 && stats.p99 <= TARGET_P99_MS);
  const onceOk =
    match.missing === 0 &&
    match.duplicates === 0 &&
    match.resends === 0 &&
    match.unknown === 0 &&
    match.mismatched === 0 &&
    delivery.refused === 0;
  const merged = Object.fromEntries(MODES.map((mode) => [mode, merge(samples[mode])]));
  const summaries = Object.fromEntries(MODES.map((mode) => [mode, summarize(merged[mode])]));
  const ratio = summaries.on.rps / summaries.off.rps;
  const fanOutRatio = summaries['fan-out'].rps / summaries.off.rps;
  const ratioOk = ratio >= TARGET_RATIO;
  const errorsOk = MODES.every((mode) => summaries[mode].failed === 0) && delivery.logged.error === 0;

  print();
  print(machineLine(info));
  print();
  const alerts = delivery.alerts.length;
  print(
    table(
      ['notifications: due time → receiver (p50 / p99 / max)', 'measured', 'target', 'verdict'],
      [
        ...byChannel.map(({ channel, stats }) => [
          `${channel} (${count(stats.n)}: ${alerts} alerts × ${STEPS_S.length} steps)`,
          threeMs(stats),
          `p99 ≤ ${ms(TARGET_P99_MS, 0)}`,
          verdict(stats.n > 0 && stats.p99 <= TARGET_P99_MS),
        ]),
        ...byStep.map(({ after, stats }) => [
          `step at ${after} s, all channels (${count(stats.n)})`,
          threeMs(stats),
          '',
          '',
        ]),
        [
          'each (alert, step, channel) received exactly once',
          `${count(match.first.size)} of ${count(match.expected)}; missing ${match.missing}, duplicates ` +
            `${match.duplicates} (same id again ${match.resends}), unknown ${match.unknown}, mismatched ${match.mismatched}`,
          'all, once',
          verdict(onceOk),
        ],
      ],
    ),
  );
  print();
  const row = (name, summary, sample) => [
    name,
    rate(summary.rps),
    ms(summary.p50),
    ms(summary.p99),
    `${ms(summary.cpuMsPerRequest, 2)} (event loop ${ms(sample.mainCpuMs / sample.responses, 2)})`,
    summary.failed,
  ];
  print(
    table(
      [`POST /alerts, ${CONNECTIONS} connections`, 'req/s', 'p50', 'p99', 'server CPU per request', 'errors'],
      [
        row('notifications off (no VIGIE_NOTIFY_FILE)', summaries.off, merged.off),
        row(
          `on: every emergency escalated, steps at ${LATER_STEPS_S.map((s) => `${s} s`).join(', ')}`,
          summaries.on,
          merged.on,
        ),
        ['on / off (target)', percent(ratio), '', '', '', ''],
        row(
          `fan-out: steps at ${STEPS_S.map((s) => `${s} s`).join(', ')} × ${CHANNELS.length} channels, sent during the load`,
          summaries['fan-out'],
          merged['fan-out'],
        ),
        ['fan-out / off (capacity, no target)', percent(fanOutRatio), '', '', '', ''],
      ].map((cells) => cells.map(String)),
    ),
  );
  print();
  const states = Object.entries(delivery.outbox.states)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  print(
    `Delivery run: ${alerts} alerts answered 201 (${delivery.refused} refused); outbox ${delivery.outbox.total} rows` +
      ` (${states}), ${delivery.outbox.retried} sent more than once; server logged ${delivery.logged.warn} warnings,` +
      ` ${delivery.logged.error} errors; earliest delivery ${ms(Math.min(...byChannel.map(({ stats }) => stats.min)))}` +
      ` after due (${match.early} before due, ${match.dueMismatch} outbox due_at ≠ receivedAt + after).`,
  );
  print();
  print(`- p99 due → receiver ≤ ${ms(TARGET_P99_MS, 0)} on every channel: ${verdict(delaysOk)}`);
  print(`- every notification received exactly once: ${verdict(onceOk)}`);
  print(
    `- ingestion with notifications on ≥ ${percent(TARGET_RATIO)} of off: ${percent(ratio)} → ${verdict(ratioOk)}` +
      ` (rounds: ${ratios.on.map(percent).join(', ')}); with the flood fanned out at once: ${percent(fanOutRatio)}` +
      ` (rounds: ${ratios['fan-out'].map(percent).join(', ')})`,
  );
  print(`- no errors: ${verdict(errorsOk)}`);
  print(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  if (delivery.logged.warn + delivery.logged.error > 0)
    print(`\nserver output (delivery run):\n${delivery.tail}`);
  if (!(delaysOk && onceOk && ratioOk && errorsOk)) process.exitCode = 1;
}

module.exports = { main };
