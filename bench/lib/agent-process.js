'use strict';
/**
 * Starts the built button agent (`run`) with the keyboard driver reading a stdin pipe: each
 * line written presses the first button. Its JSON log lines are parsed as they arrive and
 * stamped with the bench's performance.now() on reception; stdout and stderr are always
 * drained, and their tails kept for the error message when something goes wrong.
 */
const { spawn } = require('node:child_process');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const readline = require('node:readline');
const { ROOT, assertBuilt } = require('./server-process');

const AGENT_MAIN = path.join(ROOT, 'dist', 'apps', 'button-agent', 'main.js');
const TAIL_LINES = 30;
const STOP_TIMEOUT_MS = 20_000;

function assertAgentBuilt() {
  assertBuilt(AGENT_MAIN);
}

/** The bench's environment without the caller's own agent settings (a token, a spool, a level). */
function cleanEnv() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('VIGIE_') && !name.startsWith('LOG_')) env[name] = value;
  }
  return env;
}

/**
 * @param {object} options
 * @param {string} options.serverUrl
 * @param {string} options.spoolDir
 * @param {string} options.deviceId
 * @param {Record<string,string>} [options.env] more agent settings
 * @param {string[]} [options.nodeFlags] node arguments before the script (e.g. a preload)
 */
function startAgent({ serverUrl, spoolDir, deviceId, env = {}, nodeFlags = [] }) {
  const events = new EventEmitter();
  const firstSeen = new Map();
  const tail = [];
  const logged = { warn: 0, error: 0, lines: 0 };
  const keep = (stream, line) => {
    tail.push(`${stream}: ${line}`);
    if (tail.length > TAIL_LINES) tail.shift();
  };

  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, AGENT_MAIN, 'run'], {
    cwd: ROOT,
    env: {
      ...cleanEnv(),
      VIGIE_SERVER_URL: serverUrl,
      VIGIE_DEVICE_ID: deviceId,
      VIGIE_GPIO_DRIVER: 'keyboard',
      VIGIE_SPOOL_DIR: spoolDir,
      VIGIE_HEARTBEAT_S: '30',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // An agent that dies makes writes to its stdin fail: that is reported by `exited`, not thrown.
  child.stdin.on('error', () => {});

  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const at = performance.now();
    keep('stdout', line);
    logged.lines++;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (entry.level === 'warn') logged.warn++;
    if (entry.level === 'error' || entry.level === 'fatal') logged.error++;
    if (entry.event && !firstSeen.has(entry.event)) firstSeen.set(entry.event, at);
    events.emit('entry', entry, at);
    if (entry.event) events.emit(entry.event, entry, at);
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    keep('stderr', line);
    logged.error++;
  });

  return {
    pid: child.pid,
    spawnedAt,
    events,
    logged,
    exited,
    tail: () => tail.join('\n'),
    /** When the first line with this `event` arrived (performance.now()), waiting for it if need be. */
    when(event, timeoutMs) {
      if (firstSeen.has(event)) return Promise.resolve(firstSeen.get(event));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off(event, onEvent);
          reject(new Error(`agent: no ${event} after ${timeoutMs} ms\n${tail.join('\n')}`));
        }, timeoutMs);
        function onEvent(_entry, at) {
          clearTimeout(timer);
          resolve(at);
        }
        events.once(event, onEvent);
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`agent exited (${signal ?? code}) before ${event}\n${tail.join('\n')}`));
        });
      });
    },
    /** One press of the first button; returns when it was written (performance.now()). */
    press() {
      const at = performance.now();
      child.stdin.write('\n');
      return at;
    },
    /** Sends a signal (bench/lib/agent-probe.js reports on SIGUSR2). */
    signal(name) {
      child.kill(name);
    },
    /** SIGTERM, as systemd would; the agent finishes the delivery in flight and exits 0. */
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

module.exports = { AGENT_MAIN, assertAgentBuilt, startAgent };
