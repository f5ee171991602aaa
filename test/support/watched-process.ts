import { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A real child process whose output is always drained (a full pipe would block its
 * synchronous log writes and freeze it, which would look like a bug of its own) and kept
 * line by line, with a bounded stop. The built server and agent both run as one.
 */
export abstract class WatchedProcess {
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  /** Settles once the process has exited and both pipes are drained. */
  readonly exited: Promise<ExitResult>;
  exitResult: ExitResult | null = null;
  /** Checks re-run at every line and at the exit (see the subclasses' wait methods). */
  protected readonly waiters = new Set<() => void>();

  protected constructor(
    readonly child: ChildProcess,
    private readonly label: string,
  ) {
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
    this.exited = new Promise<ExitResult>((resolveExit) => {
      // 'close' (not 'exit'): fires after stdout/stderr ended, so no line is missed.
      child.once('close', (code, signal) => {
        this.exitResult = { code, signal };
        this.wake();
        resolveExit(this.exitResult);
      });
    });
  }

  /** Each stdout line as it arrives, before the waiters look at it. */
  protected onStdoutLine(_line: string): void {}

  protected wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Everything the process wrote, for failure messages. */
  output(): string {
    const tail = (lines: string[]) => lines.slice(-60).join('\n');
    return `--- ${this.label} stdout (last 60 of ${this.stdoutLines.length} lines) ---\n${tail(this.stdoutLines)}\n--- ${this.label} stderr ---\n${tail(this.stderrLines)}`;
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
