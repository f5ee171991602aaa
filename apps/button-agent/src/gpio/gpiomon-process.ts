import { ChildProcess, spawn } from 'node:child_process';
import { AgentLogger } from '../logging/agent-logger';
import { ClockReading, readClocks } from './event-time';
import { GpiomonEdge, LineSplitter, parseGpiomonLine } from './gpiomon-output';
import { GpioUnavailableError } from './gpio-unavailable.error';

export interface RestartPolicy {
  /** First wait after gpiomon dies; doubles at each death in a row. */
  initialMs: number;
  maxMs: number;
  /** A run at least this long was stable: the next wait starts again from `initialMs`. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialMs: 1000,
  maxMs: 30_000,
  stableAfterMs: 60_000,
};

export interface GpiomonProcessOptions {
  command: string;
  args: string[];
  logger: AgentLogger;
  onEdge: (edge: GpiomonEdge, clocks: ClockReading) => void;
  /** Called when a run ends, before any restart: what gpiomon saw last is no longer known. */
  onRunEnded: () => void;
  /** v2 prints a banner once its lines are requested; v1 counts as watching after `readyAfterMs` alive. */
  readyOnBanner: boolean;
  readyAfterMs: number;
  restart: RestartPolicy;
}

const STDERR_TAIL_CHARS = 2000;
const UNEXPECTED_LINES_LOGGED_PER_RUN = 10;
const KILL_GRACE_MS = 1000;

/**
 * One gpiomon kept alive. The first run must come up (`start()` rejects with gpiomon's own
 * words otherwise: a busy line or a missing permission needs a person, not retries); after
 * that, every death is logged as GPIOMON_EXITED and followed by a restart with backoff, for
 * as long as the agent runs. `stop()` kills it and nothing restarts it.
 */
export class GpiomonProcess {
  private child: ChildProcess | null = null;
  private running = false;
  private ready = false;
  private startedAt = 0;
  private nextDelayMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private readyTimer: NodeJS.Timeout | null = null;
  private pendingStart: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private stopped: Promise<void> = Promise.resolve();

  constructor(private readonly options: GpiomonProcessOptions) {
    this.nextDelayMs = options.restart.initialMs;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    this.running = true;
    return new Promise((resolve, reject) => {
      this.pendingStart = { resolve, reject };
      this.spawnRun();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.pendingStart?.reject(new Error('gpiomon was stopped before it watched the lines'));
    this.pendingStart = null;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      child.kill('SIGTERM');
      await this.stopped;
      clearTimeout(killer);
    }
  }

  private spawnRun(): void {
    const { command, args, logger } = this.options;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.ready = false;
    this.startedAt = performance.now();
    let stderrTail = '';
    let unexpected = 0;
    let spawnError: Error | null = null;
    const splitter = new LineSplitter();

    this.stopped = new Promise((resolve) => {
      child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.onClose(child, code, signal, stderrTail, spawnError);
        resolve();
      });
    });
    child.on('error', (error) => (spawnError = error));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on(
      'data',
      (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS)),
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const clocks = readClocks();
      const { lines, dropped } = splitter.push(chunk);
      if (dropped > 0)
        logger.warn({ code: 'GPIOMON_OUTPUT_UNEXPECTED' }, 'gpiomon printed an over-long line; dropped');
      for (const text of lines) {
        const line = parseGpiomonLine(text);
        if (line.kind === 'banner') this.markReady();
        else if (line.kind === 'edge') this.options.onEdge(line, clocks);
        else if (unexpected++ < UNEXPECTED_LINES_LOGGED_PER_RUN) {
          logger.warn(
            { code: 'GPIOMON_OUTPUT_UNEXPECTED', line: line.text },
            'gpiomon printed an unexpected line; ignored',
          );
        }
      }
    });
    if (!this.options.readyOnBanner) {
      this.readyTimer = setTimeout(() => this.markReady(), this.options.readyAfterMs);
    }
  }

  private markReady(): void {
    if (this.ready || !this.running) return;
    this.ready = true;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    this.options.logger.info(
      { pid: this.child?.pid, command: this.options.command, args: this.options.args },
      'gpiomon is watching the buttons',
    );
    this.pendingStart?.resolve();
    this.pendingStart = null;
  }

  private onClose(
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
    stderrTail: string,
    spawnError: Error | null,
  ): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    if (this.child === child) this.child = null;
    this.options.onRunEnded();
    if (!this.running) return;
    const stderr = stderrTail.trim() || spawnError?.message || '';
    if (this.pendingStart) {
      this.running = false;
      this.pendingStart.reject(
        new GpioUnavailableError(
          `gpiomon exited before watching the buttons (exit code ${code}${signal ? `, signal ${signal}` : ''}): ${stderr || 'no message'}`,
          'GPIOMON_START_FAILED',
        ),
      );
      this.pendingStart = null;
      return;
    }
    const ranMs = performance.now() - this.startedAt;
    if (ranMs >= this.options.restart.stableAfterMs) this.nextDelayMs = this.options.restart.initialMs;
    const delayMs = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.options.restart.maxMs, delayMs * 2);
    this.options.logger.error(
      {
        code: 'GPIOMON_EXITED',
        exitCode: code,
        signal,
        stderr,
        ranMs: Math.round(ranMs),
        restartInMs: delayMs,
      },
      'gpiomon exited; restarting it',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.running) this.spawnRun();
    }, delayMs);
  }
}
