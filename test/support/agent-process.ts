import { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import {
  ExitResult,
  LogEntry,
  REPO_ROOT,
  Started,
  WatchedProcess,
  assertBuilt,
  childEnv,
} from './watched-process';

/**
 * The real, built button agent as a child process (`node dist/apps/button-agent/main.js
 * <command>`), with the keyboard driver reading a stdin pipe: each line written is a press of
 * the lab's button. On the shared harness of watched-process.ts.
 */
export const AGENT_MAIN = join(REPO_ROOT, 'dist/apps/button-agent/main.js');

export type { LogEntry };

/**
 * The agent's environment: keyboard driver, JSON logs, and short retries and heartbeats so
 * that a test does not wait on production delays; `overrides` as in `childEnv`.
 */
export function agentEnv(
  settings: { deviceId: string; spoolDir: string; serverUrl?: string },
  overrides?: Record<string, string | undefined>,
): NodeJS.ProcessEnv {
  return childEnv(
    {
      VIGIE_DEVICE_ID: settings.deviceId,
      VIGIE_GPIO_DRIVER: 'keyboard',
      VIGIE_SPOOL_DIR: settings.spoolDir,
      VIGIE_RETRY_BASE_MS: '50',
      VIGIE_RETRY_MAX_MS: '400',
      VIGIE_HEARTBEAT_S: '1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...(settings.serverUrl === undefined ? {} : { VIGIE_SERVER_URL: settings.serverUrl }),
    },
    overrides,
  );
}

export interface AgentStartOptions {
  /** `run` (default), `send`, `doctor`, or anything else to test the usage error. */
  command?: string;
  /** Arguments after the command, e.g. `['fire', '--wait', '1']` for `send`. */
  args?: string[];
  /** VIGIE_SERVER_URL; leave it out to test a missing one. */
  serverUrl?: string;
  /** VIGIE_DEVICE_ID; default `pi-test`. */
  deviceId?: string;
  /** VIGIE_SPOOL_DIR; default a fresh temp folder (removed by `cleanupAgentProcesses`). */
  spoolDir?: string;
  /** Added to (or, with `undefined`, removed from) the defaults of `agentEnv`. */
  env?: Record<string, string | undefined>;
  /** Wait for `agent.ready`; default true for `run`, false for the one-shot commands. */
  waitForReady?: boolean;
  readyTimeoutMs?: number;
  /** Node flags before the script (a preload, for the benchmarks). */
  nodeArgs?: string[];
  /** The script; default the built agent (the bundle spec runs the one file a Pi gets). */
  main?: string;
  /** The working folder; default a fresh temp folder. */
  cwd?: string;
}

const agents = new Started<AgentProcess>();

/** A temp folder removed by `cleanupAgentProcesses`. */
export function makeAgentTempDir(prefix = 'vigie-agent-'): string {
  return agents.tempDir(prefix);
}

export class AgentProcess extends WatchedProcess {
  private constructor(
    child: ChildProcess,
    readonly spoolDir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {
    super(child, 'agent');
  }

  /** Starts the agent without waiting for anything (the benchmarks time its start-up themselves). */
  static spawn(options: AgentStartOptions = {}): AgentProcess {
    const main = options.main ?? AGENT_MAIN;
    if (main === AGENT_MAIN) assertBuilt(AGENT_MAIN, 'apps/button-agent/src');
    const command = options.command ?? 'run';
    const spoolDir = options.spoolDir ?? join(makeAgentTempDir(), 'spool');
    const env = agentEnv(
      { deviceId: options.deviceId ?? 'pi-test', spoolDir, serverUrl: options.serverUrl },
      options.env,
    );
    const args = [...(options.nodeArgs ?? []), main, command, ...(options.args ?? [])];
    const cwd = options.cwd ?? makeAgentTempDir('vigie-agent-cwd-');
    const child = WatchedProcess.spawnChild({ args, env, cwd });
    return agents.track(new AgentProcess(child, spoolDir, env));
  }

  static async start(options: AgentStartOptions = {}): Promise<AgentProcess> {
    const agent = AgentProcess.spawn(options);
    if (!(options.waitForReady ?? (options.command ?? 'run') === 'run')) return agent;
    try {
      await agent.waitForEvent('agent.ready', { timeoutMs: options.readyTimeoutMs ?? 15_000 });
    } catch (error) {
      await agent.kill('SIGKILL');
      throw error;
    }
    return agent;
  }

  /** Runs a one-shot command (`send`, `doctor`, a bad `run`) to its end; SIGKILLs it after `timeoutMs`. */
  static async runToExit(
    options: AgentStartOptions & { timeoutMs?: number },
  ): Promise<AgentProcess & { exitResult: ExitResult }> {
    const agent = await AgentProcess.start({ ...options, waitForReady: false });
    const timeoutMs = options.timeoutMs ?? 20_000;
    if (!(await agent.waitForExit(timeoutMs))) {
      await agent.kill('SIGKILL');
      throw new Error(
        `agent ${options.command ?? 'run'} still running after ${timeoutMs} ms\n${agent.output()}`,
      );
    }
    return agent as AgentProcess & { exitResult: ExitResult };
  }

  /** A press with the keyboard driver: an empty line presses the first button; a pin, type or label that one. */
  press(line = ''): void {
    if (this.exitResult || !this.child.stdin || this.child.stdin.destroyed) {
      throw new Error(`cannot press: the agent has exited\n${this.output()}`);
    }
    this.writeLine(line);
  }

  /** The log entries carrying this `event`, optionally filtered. */
  events(event: string, match: (entry: LogEntry) => boolean = () => true): LogEntry[] {
    return this.entries.filter((entry) => entry.event === event && match(entry));
  }

  /**
   * Resolves with the first `count` entries of `event` (already logged or to come) that match;
   * rejects when the agent exits first or after `timeoutMs`, with the agent's output.
   */
  waitForEvent(
    event: string,
    options: { count?: number; match?: (entry: LogEntry) => boolean; timeoutMs?: number } = {},
  ): Promise<LogEntry[]> {
    const { count = 1, match = () => true, timeoutMs = 15_000 } = options;
    return this.waitFor(
      () => {
        const found = this.events(event, match);
        return found.length >= count ? found.slice(0, count) : undefined;
      },
      timeoutMs,
      () => `${count} "${event}" log line(s) (${this.events(event, match).length} seen)`,
    );
  }

  /** Alert files waiting in the spool folder (`<uuid>.json`), sorted; [] when it does not exist. */
  spoolFiles(): string[] {
    return listSpoolFiles(this.spoolDir);
  }
}

export function listSpoolFiles(spoolDir: string): string[] {
  if (!existsSync(spoolDir)) return [];
  return readdirSync(spoolDir)
    .filter((name) => /^[0-9a-f-]{36}\.json$/.test(name))
    .sort();
}

/** Kills every agent still running and removes the temp folders: call in afterEach/afterAll. */
export function cleanupAgentProcesses(): Promise<void> {
  return agents.cleanup();
}

/**
 * A TCP port nothing listens on right now (the OS picks it): for a server that must come back
 * on the address an agent already uses, and for a server that is down.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

/** Polls `condition` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitUntil<T>(
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
}
