'use strict';
/**
 * bench:ingest. Durable ingestion against the framework's ceiling: the built alert server as
 * in production (device tokens checked, fresh SQLite file, WAL + synchronous=FULL, group
 * commit) and a bare Nest + Express app with
 * the same DTO and pipe, loaded alternately with the same POST /alerts traffic. Then checks
 * that every alert answered 201 is in the SQLite file and nothing else is.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { alertBody, makeDevices } = require('./lib/alert-data');
const { provisionDeviceTokens } = require('./lib/device-tokens');
const { load, merge, summarize } = require('./lib/load');
const { procSample } = require('./lib/proc-stats');
const { print, machine, machineLine, table, ms, rate, verdict } = require('./lib/report');
const { assertServerBuilt, startAlertServer, startBaselineServer } = require('./lib/server-process');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const TARGET_RATIO = 0.7;
/**
 * Devices the load is spread over. Each device may send 120 requests per 10 s (the server's
 * rate limit, which stays on); a real button never comes near it, but 200 devices at the
 * ceiling's ~3,000 requests/s would, and the benchmark would measure 429s.
 */
const DEVICES = makeDevices(Number(process.env.BENCH_DEVICES ?? 1000));
const TARGET_P99_MS = 20;
/** BENCH_PROBE=1: preload bench/probe-store.js into the server and print what reached SQLite. */
const PROBE = Boolean(process.env.BENCH_PROBE);

/** What the load sent and what came back 201, by alert id. */
function newLedger() {
  return { sent: new Set(), created: new Set() };
}

/**
 * POST /alerts with a fresh body and a client-made id on every request; with `tokens`, each
 * carries its device's token as an agent does.
 */
function postAlertRequests(ledger, tokens) {
  return [
    {
      method: 'POST',
      path: '/alerts',
      headers: { 'content-type': 'application/json' },
      setupRequest(request, context) {
        const body = alertBody(Date.now(), DEVICES);
        context.id = body.id;
        ledger.sent.add(body.id);
        const headers = tokens
          ? { ...request.headers, authorization: `Bearer ${tokens.get(body.deviceId)}` }
          : request.headers;
        return { ...request, headers, body: JSON.stringify(body) };
      },
      // With one request in flight per connection, the context is the one of this response.
      onResponse(status, _body, context) {
        if (status === 201) ledger.created.add(context.id);
      },
    },
  ];
}

async function measure(target, ledger, tokens = null) {
  const options = {
    url: target.url,
    connections: CONNECTIONS,
    requests: postAlertRequests(ledger, tokens),
    cpu: target.cpuMs,
  };
  await load({ ...options, seconds: WARMUP_SECONDS });
  // The server's event-loop thread apart from its other threads, and what the load generator
  // (this process, on the same cores) spent: the two cores are shared by all of it.
  const before = procSample(target.pid);
  const loadBefore = process.cpuUsage();
  const sample = await load({ ...options, seconds: SECONDS });
  const loadUsage = process.cpuUsage(loadBefore);
  const after = procSample(target.pid);
  sample.mainCpuMs = before && after ? after.mainCpuMs - before.mainCpuMs : NaN;
  sample.loadCpuMs = (loadUsage.user + loadUsage.system) / 1000;
  return sample;
}

/**
 * Stored ids against the ledger. autocannon drops the connections when time is up, so a few
 * requests in flight at each cut (warm-up end, run end) may be stored and answered 201 without
 * the client reading it: those must be ids it sent, at most one per connection per cut.
 */
function checkStored(sqlitePath, ledger) {
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  const stored = new Set(db.prepare('select id from alerts').pluck().all());
  db.close();
  let lost = 0;
  for (const id of ledger.created) if (!stored.has(id)) lost++;
  let unknown = 0;
  let inFlight = 0;
  for (const id of stored) {
    if (!ledger.sent.has(id)) unknown++;
    else if (!ledger.created.has(id)) inFlight++;
  }
  const ok = lost === 0 && unknown === 0 && inFlight <= 2 * CONNECTIONS;
  return { ok, stored: stored.size, created: ledger.created.size, lost, unknown, inFlight };
}

async function runBaseline() {
  const baseline = await startBaselineServer();
  try {
    return await measure(baseline, newLedger());
  } finally {
    await baseline.stop();
  }
}

async function runServer(dir, round) {
  const sqlitePath = path.join(dir, `ingest-${round}.db`);
  const ledger = newLedger();
  const nodeFlags = PROBE ? ['-r', path.join(__dirname, 'probe-store.js')] : [];
  const tokens = provisionDeviceTokens(sqlitePath, DEVICES);
  const server = await startAlertServer(sqlitePath, { nodeFlags, env: { VIGIE_AUTH: 'required' } });
  let sample;
  try {
    sample = await measure(server, ledger, tokens);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const exit = await server.stop();
  if (exit.code !== 0) {
    throw new Error(`alert server exited with ${exit.signal ?? exit.code}\n${server.tail()}`);
  }
  if (server.logged.error > 0) {
    print(`  ! the server logged ${server.logged.error} errors:\n${server.tail()}`);
  }
  return { sample, check: checkStored(sqlitePath, ledger), probe: server.probe() };
}

const cpu = (summary) => ms(summary.cpuMsPerRequest, 2);
const perRequest = (sample, field) => ms(sample[field] / sample.responses, 2);
const percent = (fraction) => `${(fraction * 100).toFixed(0)} %`;

/** Commits, writes per commit and time blocked in COMMIT, over the server's whole life. */
function describeProbe(probe, stored) {
  if (!probe) return '(no probe report: did the server exit normally?)';
  const statementsPerAlert = (probe.statements / stored).toFixed(1);
  const commitShare = percent(probe.commitMs / probe.wallMs);
  return (
    `probe: ${probe.commits} commits, ${probe.savepointsPerCommit} writes per commit` +
    ` (max ${probe.maxSavepointsPerCommit}), ${statementsPerAlert} statements per stored alert;` +
    ` COMMIT held the event loop ${Math.round(probe.commitMs)} ms (${commitShare} of the process's life,` +
    ` max ${probe.maxCommitMs} ms); prepare ${Math.round(probe.prepareMs)} ms, execute` +
    ` ${Math.round(probe.executeMs)} ms; event loop utilization ${percent(probe.eventLoopUtilization)}`
  );
}

function describe(name, sample) {
  const summary = summarize(sample);
  const other = Object.entries(summary.statuses)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${count}×${code}`);
  return (
    `${name.padEnd(9)} ${rate(summary.rps).padStart(6)} req/s  p50 ${ms(summary.p50)}  p99 ${ms(summary.p99)}` +
    `  max ${ms(summary.max)}  CPU ${cpu(summary)}/req (event loop ${perRequest(sample, 'mainCpuMs')},` +
    ` load generator ${perRequest(sample, 'loadCpuMs')})  errors ${summary.failed}` +
    (other.length ? ` (${other.join(', ')})` : '')
  );
}

async function main() {
  assertServerBuilt();
  const info = machine();
  const started = Date.now();
  print(`# bench:ingest: POST /alerts, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s`);
  print(`(each after a ${WARMUP_SECONDS} s warm-up on a fresh process; baseline and server alternate)`);
  print(machineLine(info, info.load));
  print();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-ingest-'));
  const baselineSamples = [];
  const serverSamples = [];
  const checks = [];
  const roundRatios = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const baseline = await runBaseline();
      baselineSamples.push(baseline);
      print(`round ${round}  ${describe('baseline', baseline)}`);
      const server = await runServer(dir, round);
      serverSamples.push(server.sample);
      checks.push(server.check);
      print(`round ${round}  ${describe('server', server.sample)}`);
      const roundRatio = summarize(server.sample).rps / summarize(baseline).rps;
      roundRatios.push(roundRatio);
      const c = server.check;
      print(
        `         server / ceiling this round ${percent(roundRatio)}; stored ${c.stored} = ${c.created}` +
          ` answered 201 + ${c.inFlight} in flight at the cuts; lost ${c.lost}, unknown ${c.unknown}: ${verdict(c.ok)}`,
      );
      if (PROBE) print(`         ${describeProbe(server.probe, c.stored)}`);
    }
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }

  const baseSample = merge(baselineSamples);
  const serverSample = merge(serverSamples);
  const base = summarize(baseSample);
  const server = summarize(serverSample);
  const ratio = server.rps / base.rps;
  const ratioOk = ratio >= TARGET_RATIO;
  const p99Ok = server.p99 <= TARGET_P99_MS;
  const storedOk = checks.every((check) => check.ok);
  const errorsOk = server.failed === 0 && base.failed === 0;

  print();
  print(machineLine(info));
  print();
  const cpuRatio = base.cpuMsPerRequest / server.cpuMsPerRequest;
  const row = (name, summary, sample) => [
    name,
    rate(summary.rps),
    ms(summary.p50),
    ms(summary.p99),
    `${ms(summary.cpuMsPerRequest, 2)} (event loop ${perRequest(sample, 'mainCpuMs')})`,
    summary.failed,
  ];
  print(
    table(
      [`POST /alerts, ${CONNECTIONS} connections`, 'req/s', 'p50', 'p99', 'CPU per request', 'errors'],
      [
        row('Nest + Express ceiling (same DTO, no store)', base, baseSample),
        row('Vigie alert server (device tokens, SQLite WAL, synchronous=FULL)', server, serverSample),
        ['server / ceiling', percent(ratio), '', '', `${percent(cpuRatio)} (ceiling CPU / server CPU)`, ''],
      ].map((cells) => cells.map(String)),
    ),
  );
  print();
  print(
    `The load generator (autocannon, in this process, on the same ${info.cpus} cores) spent` +
      ` ${perRequest(baseSample, 'loadCpuMs')} per request against the ceiling and` +
      ` ${perRequest(serverSample, 'loadCpuMs')} against the server.`,
  );
  print();
  print(
    `- durable ingestion ≥ ${percent(TARGET_RATIO)} of the ceiling: ${percent(ratio)} → ${verdict(ratioOk)}` +
      ` (rounds: ${roundRatios.map(percent).join(', ')})`,
  );
  print(
    `- p99 ≤ ${TARGET_P99_MS} ms: ${ms(server.p99)} → ${verdict(p99Ok)}` +
      ` (the ceiling's own p99 at ${CONNECTIONS} connections: ${ms(base.p99)})`,
  );
  print(`- every 201 stored, nothing else: ${verdict(storedOk)}; no errors: ${verdict(errorsOk)}`);
  print(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  if (!(ratioOk && p99Ok && storedOk && errorsOk)) process.exitCode = 1;
}

module.exports = { main };
