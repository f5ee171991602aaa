'use strict';
/**
 * Starts a server as a child process and waits for its `server.ready` log line. Its stdout
 * and stderr are always drained (a full pipe would stall the server) and their tails kept
 * for the error message when something goes wrong.
 */
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER_MAIN = path.join(ROOT, 'dist', 'apps', 'alert-server', 'main.js');
const TAIL_LINES = 30;
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 20_000;
/** warn, as in production minus the per-alert `alert stored` info line; BENCH_LOG_LEVEL=info to include it. */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';

/** Clock ticks per second of /proc/<pid>/stat times (Linux). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

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

/** Stops the benchmark with a clear line when `main` (a built app) is missing. */
function assertBuilt(main) {
  if (!existsSync(main)) {
    process.stderr.write(
      `${path.relative(process.cwd(), main)} is missing: run \`npm run build\` first, then the benchmark again.\n`,
    );
    process.exit(2);
  }
}

function assertServerBuilt() {
  assertBuilt(SERVER_MAIN);
}

/** A port free right now on loopback (the OS picks it; the child binds it just after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once `url` answers 200, polling; the caller's timer bounds the wait. */
async function answering(url, stillWaiting) {
  while (stillWaiting()) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

/**
 * @param {object} options
 * @param {string} options.name        label in messages
 * @param {string[]} options.args      node arguments (flags and the script)
 * @param {Record<string,string>} [options.env]
 * @param {string} [options.readyPath] polled until 200, for servers whose log level hides
 *                                     the `server.ready` line (it is logged at info)
 */
async function startProcess({ name, args, env = {}, readyPath }) {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: LOG_LEVEL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = [];
  const keep = (stream, line) => {
    tail.push(`${stream}: ${line}`);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  const logged = { warn: 0, error: 0 };
  let probe = null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  let waiting = true;
  const ready = new Promise((resolve, reject) => {
    const done = () => {
      waiting = false;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      waiting = false;
      reject(new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms\n${tail.join('\n')}`));
      child.kill('SIGKILL');
    }, READY_TIMEOUT_MS);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      keep('stdout', line);
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.level === 'warn' || entry.level === 40) logged.warn++;
      if (entry.level === 'error' || entry.level === 'fatal' || entry.level >= 50) logged.error++;
      if (entry.event === 'server.ready') done();
      if (entry.event === 'bench.probe') probe = entry;
    });
    readline.createInterface({ input: child.stderr }).on('line', (line) => keep('stderr', line));
    if (readyPath) void answering(`http://127.0.0.1:${port}${readyPath}`, () => waiting).then(done);
    void exited.then(({ code, signal }) => {
      waiting = false;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready\n${tail.join('\n')}`));
    });
  });

  await ready;
  return {
    name,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    logged,
    cpuMs: () => cpuMs(child.pid),
    /** What bench/probe-store.js reported at exit, when it was preloaded. */
    probe: () => probe,
    tail: () => tail.join('\n'),
    /** SIGTERM, as systemd would; the server commits what is queued and exits 0. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const outcome = await exited;
      clearTimeout(timer);
      return outcome;
    },
  };
}

/** The real, built alert server on the given SQLite file (`main`: a copy of the build). */
function startAlertServer(sqlitePath, { nodeFlags = [], env = {}, main = SERVER_MAIN } = {}) {
  // The bench provisions no device tokens: run as a lab bench would.
  return startProcess({
    name: 'alert server',
    args: [...nodeFlags, main],
    env: { VIGIE_SQLITE_PATH: sqlitePath, VIGIE_AUTH: 'off', ...env },
    readyPath: '/health/ready',
  });
}

/** The bare Nest + Express ceiling (bench/baseline-server.ts, run through ts-node). */
function startBaselineServer() {
  return startProcess({
    name: 'baseline server',
    args: ['-r', 'ts-node/register/transpile-only', path.join(__dirname, '..', 'baseline-server.ts')],
    env: { TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
  });
}

module.exports = { ROOT, SERVER_MAIN, assertBuilt, assertServerBuilt, startAlertServer, startBaselineServer };
