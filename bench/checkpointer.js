'use strict';
/**
 * bench:checkpointer. Whether the WAL checkpointer thread pays for itself: the built server
 * as bench:ingest runs it (device tokens, fresh SQLite file, WAL + synchronous=FULL), with its
 * checkpointer thread and without it (bench/lib/no-checkpointer.js: SQLite's own automatic
 * checkpoints, on the writer thread's connection), alternately, several rounds. The machine
 * is shared: compare the two within a run, round by round, not across runs.
 */
const { cpSync, mkdtempSync, rmSync, statSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeDevices, alertBody } = require('./lib/alert-data');
const { provisionDeviceTokens } = require('./lib/device-tokens');
const { load, merge, summarize } = require('./lib/load');
const { print, machine, machineLine, table, ms, rate } = require('./lib/report');
const { ROOT, SERVER_MAIN, assertServerBuilt, startAlertServer } = require('./lib/server-process');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const DEVICES = makeDevices(Number(process.env.BENCH_DEVICES ?? 1000));
const WAL_SAMPLE_MS = 100;

const VARIANTS = [
  { name: 'with the checkpointer thread', nodeFlags: [] },
  {
    name: "without (SQLite's automatic checkpoints)",
    nodeFlags: ['-r', path.join(__dirname, 'lib', 'no-checkpointer.js')],
  },
];

function requests(tokens) {
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

function walBytes(sqlitePath) {
  try {
    return statSync(`${sqlitePath}-wal`).size;
  } catch {
    return 0;
  }
}

async function run(dir, serverMain, variant, round) {
  const sqlitePath = path.join(dir, `checkpointer-${round}-${variant.nodeFlags.length}.db`);
  const tokens = provisionDeviceTokens(sqlitePath, DEVICES, serverMain);
  const server = await startAlertServer(sqlitePath, {
    nodeFlags: variant.nodeFlags,
    env: { VIGIE_AUTH: 'required' },
    main: serverMain,
  });
  let maxWal = 0;
  const watch = setInterval(() => {
    maxWal = Math.max(maxWal, walBytes(sqlitePath));
  }, WAL_SAMPLE_MS);
  let sample;
  try {
    const options = {
      url: server.url,
      connections: CONNECTIONS,
      requests: requests(tokens),
      cpu: server.cpuMs,
    };
    await load({ ...options, seconds: WARMUP_SECONDS });
    sample = await load({ ...options, seconds: SECONDS });
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    clearInterval(watch);
  }
  const exit = await server.stop();
  if (exit.code !== 0)
    throw new Error(`alert server exited with ${exit.signal ?? exit.code}\n${server.tail()}`);
  sample.maxWal = maxWal;
  return sample;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  assertServerBuilt();
  const info = machine();
  print(`# bench:checkpointer: POST /alerts, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s`);
  print(machineLine(info, info.load));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-checkpointer-'));
  // A copy of the build: every round runs the same server even if the tree is rebuilt meanwhile.
  cpSync(path.dirname(SERVER_MAIN), path.join(dir, 'server'), { recursive: true });
  const serverMain = path.join(dir, 'server', path.basename(SERVER_MAIN));
  // The copy resolves its packages from the repository's node_modules (its children inherit this).
  process.env.NODE_PATH = path.join(ROOT, 'node_modules');
  const samples = VARIANTS.map(() => []);
  const ratios = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Which variant goes first alternates, so a trend in the machine's load favours neither.
      const order = round % 2 === 1 ? [0, 1] : [1, 0];
      const summaries = [];
      for (const index of order) {
        const sample = await run(dir, serverMain, VARIANTS[index], round);
        samples[index].push(sample);
        const s = summarize(sample);
        summaries[index] = s;
        print(
          `round ${round}  ${VARIANTS[index].name.padEnd(42)} ${rate(s.rps).padStart(6)} req/s` +
            `  p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  CPU ${ms(s.cpuMsPerRequest, 3)}/req` +
            `  WAL max ${mb(sample.maxWal)}  errors ${s.failed}`,
        );
      }
      ratios.push({ rps: summaries[0].rps / summaries[1].rps, p99: summaries[0].p99 / summaries[1].p99 });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  print();
  print(machineLine(info));
  print();
  const rows = VARIANTS.map((variant, index) => {
    const s = summarize(merge(samples[index]));
    const maxWal = Math.max(...samples[index].map((sample) => sample.maxWal));
    return [
      variant.name,
      rate(s.rps),
      ms(s.p50),
      ms(s.p99),
      ms(s.max),
      ms(s.cpuMsPerRequest, 3),
      mb(maxWal),
      s.failed,
    ];
  });
  print(
    table(
      ['POST /alerts', 'req/s', 'p50', 'p99', 'max', 'CPU per request', 'WAL max', 'errors'],
      rows.map((cells) => cells.map(String)),
    ),
  );
  print();
  const fmt = (values) => values.map((value) => value.toFixed(2)).join(', ');
  print(
    `with / without, per round: req/s ${fmt(ratios.map((r) => r.rps))}; p99 ${fmt(ratios.map((r) => r.p99))}`,
  );
}

module.exports = { main };
