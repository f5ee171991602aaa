'use strict';
/**
 * The benchmarks' side of the one process harness (test/support/*-process.ts, loaded through
 * ts-node): the built server as the benches start and read it. Only what is the bench's own
 * lives here: a log level that hides `server.ready`, readiness by polling instead, CPU time.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');

require('ts-node').register({
  transpileOnly: true,
  project: path.join(__dirname, '..', '..', 'tsconfig.json'),
});
const { assertBuilt: assertFresh } = require('../../test/support/watched-process');
const {
  REPO_ROOT: ROOT,
  SERVER_MAIN,
  ServerProcess,
  cleanupServerProcesses,
} = require('../../test/support/server-process');
const { freePort } = require('../../test/support/agent-process');
const { CLOCK_TICKS } = require('./proc-stats');

const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 20_000;
/** warn, as in production minus the per-alert `alert stored` info line; BENCH_LOG_LEVEL=info to include it. */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';

// The harness's temp folders (the children's working folders) go when the bench is done.
process.once('beforeExit', () => void cleanupServerProcesses());

/** Stops the benchmark with a clear line when `main` (a built app) is missing. */
function assertBuilt(main) {
  try {
    assertFresh(main);
  } catch (error) {
    process.stderr.write(`${error.message}, then the benchmark again.\n`);
    process.exit(2);
  }
}

function assertServerBuilt() {
  assertBuilt(SERVER_MAIN);
}

/**
 * CPU time (user + system, all threads) a process has used so far, in ms; null off Linux.
 * Per request, it shows the cost of the code even when other work slows the machine down.
 */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Warnings and errors among the JSON log lines (pino's names or numbers), and the stdout lines. */
function logged(watched) {
  const level = (entry) => entry.level;
  return {
    warn: watched.entries.filter((entry) => level(entry) === 'warn' || level(entry) === 40).length,
    error: watched.entries.filter((entry) => ['error', 'fatal'].includes(level(entry)) || level(entry) >= 50)
      .length,
    lines: watched.stdoutLines.length,
  };
}

/** Resolves once `server` answers 200 on `readyPath`; throws with its output when it exits or times out. */
async function answering(name, server, readyPath) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!server.exitResult && Date.now() < deadline) {
    try {
      if ((await fetch(`${server.url}${readyPath}`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  await server.kill('SIGKILL');
  throw new Error(`${name} not ready on ${readyPath} within ${READY_TIMEOUT_MS} ms\n${server.output()}`);
}

/** What the benches read of a started server. */
function benchView(name, server) {
  return {
    name,
    pid: server.pid,
    url: server.url,
    get logged() {
      return logged(server);
    },
    cpuMs: () => cpuMs(server.pid),
    /** What bench/probe-store.js reported at exit, when it was preloaded. */
    probe: () => server.entries.findLast((entry) => entry.event === 'bench.probe') ?? null,
    tail: () => server.output(),
    /** SIGTERM, as systemd would; the server commits what is queued and exits 0. */
    stop: () => server.stop('SIGTERM', STOP_TIMEOUT_MS),
  };
}

/** The real, built alert server on the given SQLite file (`main`: a copy of the build). */
async function startAlertServer(sqlitePath, { nodeFlags = [], env = {}, main = SERVER_MAIN } = {}) {
  // The `server.ready` line is logged at info, below the bench's level: wait for /health/ready.
  const port = await freePort();
  const server = await ServerProcess.start({
    sqlitePath,
    main,
    nodeArgs: nodeFlags,
    // The bench provisions no device tokens unless it says so: run as a lab bench would.
    env: { PORT: String(port), LOG_LEVEL, ...env },
    waitForReady: false,
  });
  server.port = port;
  await answering('alert server', server, '/health/ready');
  return benchView('alert server', server);
}

/** The bare Nest + Express ceiling (bench/baseline-server.ts, run through ts-node). */
async function startBaselineServer() {
  const server = await ServerProcess.start({
    // Absolute: node resolves a preload from the child's working folder, a temp one.
    nodeArgs: ['-r', require.resolve('ts-node/register/transpile-only')],
    main: path.join(__dirname, '..', 'baseline-server.ts'),
    env: { TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), LOG_LEVEL },
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return benchView('baseline server', server);
}

module.exports = {
  ROOT,
  SERVER_MAIN,
  assertBuilt,
  assertServerBuilt,
  logged,
  startAlertServer,
  startBaselineServer,
};
