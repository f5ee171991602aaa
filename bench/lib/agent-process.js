'use strict';
/**
 * The built button agent (`run`) for the benches, on the one process harness
 * (test/support/agent-process.ts): the keyboard driver reads a stdin pipe, each line written
 * presses the first button, and each JSON log line comes with the bench's performance.now()
 * at its reception.
 */
// First: it registers ts-node, which loads the harness's TypeScript.
const { assertBuilt, logged } = require('./server-process');
const { AGENT_MAIN, AgentProcess, cleanupAgentProcesses } = require('../../test/support/agent-process');

const STOP_TIMEOUT_MS = 20_000;

process.once('beforeExit', () => void cleanupAgentProcesses());

function assertAgentBuilt() {
  assertBuilt(AGENT_MAIN);
}

/**
 * @param {object} options
 * @param {string} options.serverUrl
 * @param {string} options.spoolDir
 * @param {string} options.deviceId
 * @param {Record<string,string>} [options.env] more agent settings
 * @param {string[]} [options.nodeFlags] node arguments before the script (e.g. a preload)
 * @param {string} [options.main] the script (default the built agent; the bundle's one file)
 * @param {string} [options.cwd] its working folder
 */
function startAgent({ serverUrl, spoolDir, deviceId, env = {}, nodeFlags = [], main, cwd }) {
  const spawnedAt = performance.now();
  const agent = AgentProcess.spawn({
    serverUrl,
    spoolDir,
    deviceId,
    nodeArgs: nodeFlags,
    main,
    cwd,
    // Production's retry delays, and a heartbeat that does not crowd the idle measurement.
    env: { VIGIE_RETRY_BASE_MS: undefined, VIGIE_RETRY_MAX_MS: undefined, VIGIE_HEARTBEAT_S: '30', ...env },
  });
  // Reception times of each event's first line: `when` may be asked after the line came.
  const firstSeen = new Map();
  agent.arrivals.on('entry', (entry, at) => {
    if (entry.event && !firstSeen.has(entry.event)) firstSeen.set(entry.event, at);
  });

  return {
    pid: agent.pid,
    spawnedAt,
    events: agent.arrivals,
    /** The agent's stderr counts as errors: it writes there only when something is wrong. */
    get logged() {
      const counts = logged(agent);
      return { ...counts, error: counts.error + agent.stderrLines.length };
    },
    exited: agent.exited,
    tail: () => agent.output(),
    /** When the first line with this `event` arrived (performance.now()), waiting for it if need be. */
    async when(event, timeoutMs) {
      await agent.waitForEvent(event, { timeoutMs });
      return firstSeen.get(event);
    },
    /** One press of the first button; returns when it was written (performance.now()). */
    press() {
      const at = performance.now();
      agent.writeLine('');
      return at;
    },
    /** Sends a signal (bench/lib/agent-probe.js reports on SIGUSR2). */
    signal(name) {
      agent.child.kill(name);
    },
    /** SIGTERM, as systemd would; the agent finishes the delivery in flight and exits 0. */
    stop: () => agent.stop('SIGTERM', STOP_TIMEOUT_MS),
  };
}

module.exports = { AGENT_MAIN, assertAgentBuilt, startAgent };
