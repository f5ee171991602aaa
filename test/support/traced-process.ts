import { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_MAIN, agentEnv } from './agent-process';
import { SERVER_MAIN, readyPort, serverEnv } from './server-process';
import { Syscall, parseTrace, straceArgs } from './syscall-trace';
import { ExitResult, Started, WatchedProcess, assertBuilt } from './watched-process';

/**
 * The built server or agent run under `strace -f`, writing the trace to a file of its own: the
 * shared harness, with strace wrapping the command. The program is stopped with SIGKILL sent to
 * it (not to strace), so strace sees it die and closes the trace complete; `trace()` then gives
 * the calls in order.
 */
export interface TracedStartOptions {
  /** `dist/apps/.../main.js` and its arguments. */
  args: string[];
  /** The program's whole environment (see serverEnv and agentEnv). */
  env: NodeJS.ProcessEnv;
  label: string;
  /** How long to wait for the first stdout line matching `ready`. */
  ready: (line: string) => boolean;
  readyTimeoutMs?: number;
}

const traced = new Started<TracedProcess>();

/** A temp folder (its real path, as strace shows paths) removed by `cleanupTracedProcesses`. */
export function makeTracedTempDir(prefix = 'vigie-traced-'): string {
  return traced.tempDir(prefix);
}

export class TracedProcess extends WatchedProcess {
  private calls: Syscall[] | null = null;

  private constructor(
    child: ChildProcess,
    label: string,
    readonly traceFile: string,
  ) {
    super(child, label);
  }

  static async start(options: TracedStartOptions): Promise<TracedProcess> {
    const traceFile = join(makeTracedTempDir('vigie-trace-'), 'strace.txt');
    const env = {
      ...options.env,
      // libuv may hand file operations to io_uring, where they are no longer system calls of
      // their own: keep them visible (this changes how the call is made, not what is synced).
      UV_USE_IO_URING: '0',
    };
    const child = WatchedProcess.spawnChild({
      wrapper: ['strace', ...straceArgs(traceFile), '--'],
      args: options.args,
      env,
      cwd: makeTracedTempDir('vigie-traced-cwd-'),
    });
    const started = traced.track(new TracedProcess(child, options.label, traceFile));
    try {
      await started.waitForLine(options.ready, options.readyTimeoutMs ?? 20_000, `${options.label} ready`);
    } catch (error) {
      await started.stopAndKeepTrace();
      throw error;
    }
    return started;
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
    await super.kill('SIGKILL');
  }

  /** Kills the traced program too: killed alone, strace would detach and leave it running. */
  override async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitResult> {
    this.killProgram();
    return super.kill(signal);
  }

  override killNow(): void {
    this.killProgram();
    super.killNow();
  }

  private killProgram(): void {
    const program = this.exitResult ? null : tracedChild(this.child.pid);
    if (program !== null) process.kill(program, 'SIGKILL');
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
export function cleanupTracedProcesses(): Promise<void> {
  return traced.cleanup();
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
  const started = await TracedProcess.start({
    label: 'traced server',
    args: [SERVER_MAIN],
    env: serverEnv(databasePath),
    ready: (line) => readyPort(line) !== null,
  });
  const port = started.stdoutLines.map(readyPort).find((found) => found !== null);
  return { process: started, url: `http://127.0.0.1:${port}`, dir, walPath: `${databasePath}-wal` };
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
  const started = await TracedProcess.start({
    label: 'traced agent',
    args: [AGENT_MAIN, 'run'],
    env: agentEnv({ deviceId, spoolDir, serverUrl }),
    ready: (line) => /"event":"agent\.ready"/.test(line),
  });
  return { process: started, spoolDir };
}
