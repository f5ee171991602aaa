import { ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

/**
 * The one harness for the built server and agent as real child processes, shared by the
 * system tests (test/support/*-process.ts) and the benchmarks (bench/lib/*-process.js).
 */
export const REPO_ROOT = resolve(__dirname, '../..');

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type LogEntry = Record<string, unknown> & { event?: string; level?: string; msg?: string };

export function describeExit(result: ExitResult): string {
  return result.signal ? `signal ${result.signal}` : `code ${result.code}`;
}

/**
 * The parent's environment without its own Vigie, log and listening settings (they must not
 * leak into a test or a bench), then `defaults`, then `overrides` (`undefined` removes one).
 */
export function childEnv(
  defaults: Record<string, string>,
  overrides: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(VIGIE_|LOG_)/.test(name) && !['PORT', 'HOST', 'DATABASE_URL'].includes(name)) env[name] = value;
  }
  Object.assign(env, defaults);
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

const checkedBuilds = new Set<string>();

/**
 * Throws when `main` is missing or, given its `sources` folder, older than a source of it or of
 * libs/ (a stale build would test yesterday's program). Checked once per process.
 */
export function assertBuilt(main: string, sources?: string): void {
  if (checkedBuilds.has(main)) return;
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build`);
  if (sources) {
    const built = statSync(main).mtimeMs;
    const stale = newerSource(join(REPO_ROOT, sources), built) ?? newerSource(join(REPO_ROOT, 'libs'), built);
    if (stale) throw new Error(`${main} is older than ${stale}: run npm run build`);
  }
  checkedBuilds.add(main);
}

function newerSource(dir: string, than: number): string | null {
  if (!existsSync(dir)) return null;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory()
      ? newerSource(path, than)
      : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && statSync(path).mtimeMs > than
        ? path
        : null;
    if (found) return found;
  }
  return null;
}

/**
 * The processes and temp folders of one kind (servers, agents, traced programs), so that one
 * cleanup call ends them: a spec may clean its agents after each test and keep its server.
 */
export class Started<P extends WatchedProcess> {
  private readonly processes = new Set<P>();
  private readonly dirs = new Set<string>();

  track(started: P): P {
    this.processes.add(started);
    void started.exited.then(() => this.processes.delete(started));
    return started;
  }

  /** A fresh temp folder, by its real path (as strace shows paths), removed by `cleanup`. */
  tempDir(prefix: string): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
    this.dirs.add(dir);
    return dir;
  }

  /** Kills every process still running, keeping the folders (a test may share them). */
  async killAll(): Promise<void> {
    await Promise.all([...this.processes].map((started) => started.kill('SIGKILL')));
  }

  /** Kills every process still running and removes the temp folders. */
  async cleanup(): Promise<void> {
    await this.killAll();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }
}

const running = new Set<WatchedProcess>();

// Last resort if the runner itself exits abruptly: never leave a child behind.
process.once('exit', () => {
  for (const watched of running) watched.killNow();
});

export interface SpawnOptions {
  /** Node's arguments: flags, the script and its own arguments. */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A command that runs node itself (strace), with its arguments before node's. */
  wrapper?: string[];
}

/**
 * A real child process whose output is always drained (a full pipe would block its
 * synchronous log writes and freeze it, which would look like a bug of its own) and kept
 * line by line, with a bounded stop. The built server and agent both run as one.
 */
export class WatchedProcess {
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  /** The stdout lines that are JSON objects, in order (a line torn by SIGKILL is skipped). */
  readonly entries: LogEntry[] = [];
  /**
   * Emits 'entry' and the entry's `event` name for each JSON line, with performance.now() at
   * its reception: the benchmarks time the stages of a press by it.
   */
  readonly arrivals = new EventEmitter();
  /** Settles once the process has exited and both pipes are drained. */
  readonly exited: Promise<ExitResult>;
  exitResult: ExitResult | null = null;
  /** Checks re-run at every line and at the exit (see `waitFor`). */
  private readonly waiters = new Set<() => void>();

  protected constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    running.add(this);
    const collect = (
      stream: NodeJS.ReadableStream | null,
      into: string[],
      onLine?: (line: string) => void,
    ) => {
      if (!stream) return;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        into.push(line);
        onLine?.(line);
        this.wake();
      });
    };
    collect(child.stdout, this.stdoutLines, (line) => this.onStdoutLine(line));
    collect(child.stderr, this.stderrLines);
    // A failed spawn (or kill) is reported here, not thrown from an emitter nobody listens to.
    child.on('error', (error) => this.stderrLines.push(`[test] child process error: ${error.message}`));
    // Writing to the stdin of a program that died fails with EPIPE: `exited` reports the death.
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise<ExitResult>((resolveExit) => {
      // 'close' (not 'exit'): fires after stdout/stderr ended, so no line is missed.
      child.once('close', (code, signal) => {
        this.exitResult = { code, signal };
        running.delete(this);
        this.wake();
        resolveExit(this.exitResult);
      });
    });
  }

  /** Starts node (or `wrapper` running node) with all three pipes. */
  protected static spawnChild({ args, env, cwd, wrapper = [] }: SpawnOptions): ChildProcess {
    const [command, ...before] = [...wrapper, process.execPath];
    return spawn(command, [...before, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  private onStdoutLine(line: string): void {
    const at = performance.now();
    let entry: LogEntry;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      entry = value as LogEntry;
    } catch {
      return; // a line torn by SIGKILL, a pretty or a doctor line: callers read stdoutLines then
    }
    this.entries.push(entry);
    this.arrivals.emit('entry', entry, at);
    if (typeof entry.event === 'string') this.arrivals.emit(entry.event, entry, at);
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stdout lines that are JSON objects. */
  logs(): LogEntry[] {
    return [...this.entries];
  }

  /** Everything the process wrote, for failure messages. */
  output(): string {
    const tail = (lines: string[]) => lines.slice(-60).join('\n');
    return `--- ${this.label} stdout (last 60 of ${this.stdoutLines.length} lines) ---\n${tail(this.stdoutLines)}\n--- ${this.label} stderr ---\n${tail(this.stderrLines)}`;
  }

  /** A line on the program's stdin (a press, for the agent's keyboard driver). */
  writeLine(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /**
   * Resolves with what `find` returns once it is not undefined (checked now, at every line and
   * at the exit); rejects when the process exits first or after `timeoutMs`, with its output.
   * `what` is called at the failure, so it can tell how far it got.
   */
  protected waitFor<T>(find: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    return new Promise<T>((resolveFound, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) return finish(() => resolveFound(found));
        if (this.exitResult) {
          const exit = describeExit(this.exitResult);
          finish(() =>
            reject(new Error(`${this.label} exited (${exit}) before ${what()}\n${this.output()}`)),
          );
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what()} within ${timeoutMs} ms\n${this.output()}`))),
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

  /** Resolves with the first stdout line (already seen or to come) matching; rejects on exit or timeout. */
  waitForLine(
    match: (line: string) => boolean,
    timeoutMs: number,
    what = 'a matching line',
  ): Promise<string> {
    return this.waitFor(
      () => this.stdoutLines.find(match),
      timeoutMs,
      () => what,
    );
  }

  /** Sends `signal` and waits for the exit; SIGKILLs and throws if it takes longer than `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ExitResult> {
    if (this.exitResult) return this.exitResult;
    this.child.kill(signal);
    const result = await this.waitForExit(timeoutMs);
    if (result) return result;
    await this.kill('SIGKILL');
    throw new Error(`${this.label} did not exit within ${timeoutMs} ms of ${signal}\n${this.output()}`);
  }

  /** Kills at once (SIGKILL by default) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitResult> {
    if (this.exitResult) return this.exitResult;
    this.child.kill(signal);
    return this.exited;
  }

  /** SIGKILL without waiting, for the runner's own exit. */
  killNow(): void {
    this.child.kill('SIGKILL');
  }

  /** The exit, or null when the process still runs after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitResult | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(null), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
