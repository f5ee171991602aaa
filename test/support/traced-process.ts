import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_MAIN } from './agent-process';
import { REPO_ROOT, SERVER_MAIN } from './server-process';
import { Syscall, parseTrace, straceArgs } from './syscall-trace';
import { WatchedProcess } from './watched-process';

/**
 * The built server or agent run under `strace -f`, writing the trace to a file of its own. The
 * program is stopped with SIGKILL sent to it (not to strace), so strace sees it die and closes
 * the trace complete; `trace()` then gives the calls in order.
 */
export interface TracedStartOptions {
  /** `dist/apps/.../main.js` and its arguments. */
  args: string[];
  /** The program's whole environment (the caller strips the parent's VIGIE_ settings). */
  env: NodeJS.ProcessEnv;
  label: string;
  /** How long to wait for the first stdout line matching `ready`. */
  ready: (line: string) => boolean;
  readyTimeoutMs?: number;
}

const live = new Set<TracedProcess>();
const tempDirs = new Set<string>();

/** A temp folder (its real path, as strace shows paths) removed by `cleanupTracedProcesses`. */
export function makeTracedTempDir(prefix = 'vigie-traced-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  tempDirs.add(dir);
  return dir;
}

export class TracedProcess extends WatchedProcess {
  private calls: Syscall[] | null = null;

  private constructor(
    child: ChildProcess,
    label: string,
    readonly traceFile: string,
  ) {
    super(child, label);
    child.stdin?.on('error', () => undefined); // a write to a dead program: `exited` reports it
    void this.exited.then(() => live.delete(this));
  }

  static async start(options: TracedStartOptions): Promise<TracedProcess> {
    const traceFile = join(makeTracedTempDir('vigie-trace-'), 'strace.txt');
    const env = {
      ...options.env,
      // libuv may hand file operations to io_uring, where they are no longer system calls of
      // their own: keep them visible (this changes how the call is made, not what is synced).
      UV_USE_IO_URING: '0',
    };
    const child = spawn('strace', [...straceArgs(traceFile), '--', process.execPath, ...options.args], {
      cwd: makeTracedTempDir('vigie-traced-cwd-'),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const traced = new TracedProcess(child, options.label, traceFile);
    live.add(traced);
    try {
      await traced.waitForLine(options.ready, options.readyTimeoutMs ?? 20_000, `${options.label} ready`);
    } catch (error) {
      await traced.stopAndKeepTrace();
      throw error;
    }
    return traced;
  }

  /** Stdout lines that are JSON objects. */
  logs(): Array<Record<string, unknown>> {
    const entries: Array<Record<string, unknown>> = [];
    for (const line of this.stdoutLines) {
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
          entries.push(value as Record<string, unknown>);
        }
      } catch {
        // not JSON: a line torn by the SIGKILL that ends the trace
      }
    }
    return entries;
  }

  /** The first stdout line (already seen or to come) matching; rejects on exit or timeout. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise<string>((resolveLine, reject) => {
      const check = () => {
        const found = this.stdoutLines.find(match);
        if (found !== undefined) return finish(() => resolveLine(found));
        if (this.exitResult) finish(() => reject(new Error(`exited before ${what}\n${this.output()}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.output()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** A line on the program's stdin (a press, for the agent's keyboard driver). */
  writeLine(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Stops the program and returns every call it made, in order of their start. */
  async trace(): Promise<Syscall[]> {
    await this.stopAndKeepTrace();
    this.calls ??= parseTrace(readFileSync(this.traceFile, 'utf8'));
    return this.calls;
  }

  private async stopAndKeepTrace(): Promise<void> {
    if (this.exitResult) return;
    const program = tracedChild(this.child.pid);
    if (program !== null) {
      process.kill(program, 'SIGKILL');
      if (await this.waitForExit(10_000)) return;
    }
    // strace itself: what it had not written of the trace is lost, but nothing is left running.
    await this.kill('SIGKILL');
  }

  /** Kills the traced program (and strace) at once, for cleanup. */
  killNow(): void {
    const program = tracedChild(this.child.pid);
    if (program !== null) process.kill(program, 'SIGKILL');
    this.child.kill('SIGKILL');
  }
}

/** The program strace started: its one child. */
function tracedChild(stracePid: number | undefined): number | null {
  if (stracePid === undefined) return null;
  const children = `/proc/${stracePid}/task/${stracePid}/children`;
  if (existsSync(children)) {
    const pids = readFileSync(children, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    if (pids.length > 0) return pids[0];
  }
  // Kernels without that file: the process whose parent is strace.
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === stracePid) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** Stops every traced program still running and removes the temp folders and traces. */
export async function cleanupTracedProcesses(): Promise<void> {
  await Promise.all(
    [...live].map(async (traced) => {
      traced.killNow();
      await traced.waitForExit(10_000);
    }),
  );
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.once('exit', () => {
  for (const traced of live) traced.killNow();
});

/** A build older than the sources would test yesterday's program. */
function assertBuilt(main: string, sources: string): void {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build`);
  const built = statSync(main).mtimeMs;
  const newer = (dir: string): string | null => {
    if (!existsSync(dir)) return null;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const found = entry.isDirectory()
        ? newer(path)
        : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && statSync(path).mtimeMs > built
          ? path
          : null;
      if (found) return found;
    }
    return null;
  };
  const stale = newer(join(REPO_ROOT, sources)) ?? newer(join(REPO_ROOT, 'libs'));
  if (stale) throw new Error(`${main} is older than ${stale}: run npm run build`);
}

/** The environment without the parent's own Vigie and log settings, which must not leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(VIGIE_|LOG_)/.test(name) && !['PORT', 'HOST', 'DATABASE_URL'].includes(name)) env[name] = value;
  }
  return env;
}

export interface TracedServer {
  process: TracedProcess;
  url: string;
  /** The database file's folder (a real path, as the trace shows it). */
  dir: string;
  walPath: string;
}

/** The built server under strace, on a fresh database, no authentication (a lab bench). */
export async function startTracedServer(): Promise<TracedServer> {
  assertBuilt(SERVER_MAIN, 'apps/alert-server/src');
  const dir = makeTracedTempDir('vigie-traced-db-');
  const databasePath = join(dir, 'vigie.db');
  const traced = await TracedProcess.start({
    label: 'traced server',
    args: [SERVER_MAIN],
    env: {
      ...cleanEnv(),
      PORT: '0',
      HOST: '127.0.0.1',
      VIGIE_SQLITE_PATH: databasePath,
      VIGIE_AUTH: 'off',
      LOG_LEVEL: 'info',
    },
    ready: (line) => /"event":"server\.ready"/.test(line),
  });
  const ready = traced.logs().find((entry) => entry.event === 'server.ready')!;
  return {
    process: traced,
    url: `http://127.0.0.1:${ready.port as number}`,
    dir,
    walPath: `${databasePath}-wal`,
  };
}

export interface TracedAgent {
  process: TracedProcess;
  /** The spool folder (a real path, as the trace shows it). */
  spoolDir: string;
}

/** The built agent under strace, keyboard driver (a line on stdin is a press), JSON logs. */
export async function startTracedAgent(serverUrl: string, deviceId: string): Promise<TracedAgent> {
  assertBuilt(AGENT_MAIN, 'apps/button-agent/src');
  const spoolDir = join(makeTracedTempDir('vigie-traced-agent-'), 'spool');
  const traced = await TracedProcess.start({
    label: 'traced agent',
    args: [AGENT_MAIN, 'run'],
    env: {
      ...cleanEnv(),
      VIGIE_SERVER_URL: serverUrl,
      VIGIE_DEVICE_ID: deviceId,
      VIGIE_GPIO_DRIVER: 'keyboard',
      VIGIE_SPOOL_DIR: spoolDir,
      VIGIE_RETRY_BASE_MS: '50',
      VIGIE_RETRY_MAX_MS: '400',
      VIGIE_HEARTBEAT_S: '1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    },
    ready: (line) => /"event":"agent\.ready"/.test(line),
  });
  return { process: traced, spoolDir };
}
