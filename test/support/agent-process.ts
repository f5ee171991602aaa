import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, describeExit } from './server-process';
import { ExitResult, WatchedProcess } from './watched-process';

/**
 * The real, built button agent as a child process (`node dist/apps/button-agent/main.js
 * <command>`), with the keyboard driver reading a stdin pipe: each line written is a press of
 * the lab's button. Its output is always drained (a full pipe would block the agent's
 * synchronous log writes), and its JSON log lines are parsed as they arrive.
 */
export const AGENT_MAIN = join(REPO_ROOT, 'dist/apps/button-agent/main.js');

export type LogEntry = Record<string, unknown> & { event?: string; level?: string; msg?: string };

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
  /** Added to (or, with `undefined`, removed from) the defaults. */
  env?: Record<string, string | undefined>;
  /** Wait for `agent.ready`; default true for `run`, false for the one-shot commands. */
  waitForReady?: boolean;
  readyTimeoutMs?: number;
}

const live = new Set<AgentProcess>();
const tempDirs = new Set<string>();

/** A temp folder removed by `cleanupAgentProcesses`. */
export function makeAgentTempDir(prefix = 'vigie-agent-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export class AgentProcess extends WatchedProcess {
  /** The stdout lines that are JSON objects, in order. */
  readonly entries: LogEntry[] = [];

  private constructor(
    child: ChildProcess,
    readonly spoolDir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {
    super(child, 'agent');
    // Writing to the stdin of an agent that died fails with EPIPE: `exited` reports the death.
    child.stdin?.on('error', () => undefined);
    void this.exited.then(() => live.delete(this));
  }

  protected override onStdoutLine(line: string): void {
    const entry = parseEntry(line);
    if (entry) this.entries.push(entry);
  }

  static async start(options: AgentStartOptions = {}): Promise<AgentProcess> {
    assertBuilt();
    const command = options.command ?? 'run';
    const spoolDir = options.spoolDir ?? join(makeAgentTempDir(), 'spool');
    const env: NodeJS.ProcessEnv = {};
    // The caller's own agent settings (a token, a spool, a log level) must not leak into a test.
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('VIGIE_') && !name.startsWith('LOG_')) env[name] = value;
    }
    Object.assign(env, {
      VIGIE_DEVICE_ID: options.deviceId ?? 'pi-test',
      VIGIE_GPIO_DRIVER: 'keyboard',
      VIGIE_SPOOL_DIR: spoolDir,
      VIGIE_RETRY_BASE_MS: '50',
      VIGIE_RETRY_MAX_MS: '400',
      VIGIE_HEARTBEAT_S: '1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    if (options.serverUrl !== undefined) env.VIGIE_SERVER_URL = options.serverUrl;
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const child = spawn(process.execPath, [AGENT_MAIN, command, ...(options.args ?? [])], {
      cwd: makeAgentTempDir('vigie-agent-cwd-'),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const agent = new AgentProcess(child, spoolDir, env);
    live.add(agent);
    if (!(options.waitForReady ?? command === 'run')) return agent;
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

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** A press with the keyboard driver: an empty line presses the first button; a pin, type or label that one. */
  press(line = ''): void {
    if (this.exitResult || !this.child.stdin || this.child.stdin.destroyed) {
      throw new Error(`cannot press: the agent has exited (${this.describe()})\n${this.output()}`);
    }
    this.child.stdin.write(`${line}\n`);
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
    const what = `${count} "${event}" log line(s)`;
    return new Promise<LogEntry[]>((resolveEntries, reject) => {
      const check = () => {
        const found = this.events(event, match);
        if (found.length >= count) return finish(() => resolveEntries(found.slice(0, count)));
        if (this.exitResult) {
          finish(() =>
            reject(
              new Error(
                `agent exited (${this.describe()}) after ${found.length} of ${what}\n${this.output()}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        const seen = this.events(event, match).length;
        finish(() => reject(new Error(`only ${seen} of ${what} within ${timeoutMs} ms\n${this.output()}`)));
      }, timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Alert files waiting in the spool folder (`<uuid>.json`), sorted; [] when it does not exist. */
  spoolFiles(): string[] {
    return listSpoolFiles(this.spoolDir);
  }

  private describe(): string {
    return this.exitResult ? describeExit(this.exitResult) : 'running';
  }
}

export function listSpoolFiles(spoolDir: string): string[] {
  if (!existsSync(spoolDir)) return [];
  return readdirSync(spoolDir)
    .filter((name) => /^[0-9a-f-]{36}\.json$/.test(name))
    .sort();
}

/** Kills every agent still running and removes the temp folders: call in afterEach/afterAll. */
export async function cleanupAgentProcesses(): Promise<void> {
  await Promise.all([...live].map((agent) => agent.kill('SIGKILL')));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Last resort if the runner itself exits abruptly: never leave an agent behind.
process.once('exit', () => {
  for (const agent of live) agent.child.kill('SIGKILL');
});

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

function parseEntry(line: string): LogEntry | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogEntry) : null;
  } catch {
    return null; // a line torn by SIGKILL, or a doctor line
  }
}

let builtChecked = false;

/** Once per test file: a build older than the sources would test yesterday's agent. */
function assertBuilt(): void {
  if (builtChecked) return;
  if (!existsSync(AGENT_MAIN)) {
    throw new Error(`${AGENT_MAIN} is missing: build first (npx nest build button-agent)`);
  }
  const built = statSync(AGENT_MAIN).mtimeMs;
  for (const dir of [join(REPO_ROOT, 'apps/button-agent/src'), join(REPO_ROOT, 'libs')]) {
    const stale = newerSource(dir, built);
    if (stale) throw new Error(`${AGENT_MAIN} is older than ${stale}: rebuild (npx nest build button-agent)`);
  }
  builtChecked = true;
}

function newerSource(dir: string, than: number): string | null {
  if (!existsSync(dir)) return null;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerSource(path, than);
      if (found) return found;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      if (statSync(path).mtimeMs > than) return path;
    }
  }
  return null;
}
