import { ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { GpioUnavailableError } from '../gpio/gpio-unavailable.error';
import { RestartPolicy } from '../gpio/gpiomon-process';
import { AgentLogger } from '../logging/agent-logger';
import { GpiosetRun } from './gpioset-command';
import { Level, OutputLine } from './line-writer';

export interface GpiosetLineOptions {
  command: string;
  output: OutputLine;
  /** e.g. `GPIO18`, for the log lines. */
  lineName: string;
  runFor: (level: Level) => GpiosetRun;
  logger: AgentLogger;
  restart: RestartPolicy;
  /** gpioset prints nothing once it holds the line: alive this long counts as holding. */
  readyAfterMs: number;
}

const STDERR_TAIL_CHARS = 2000;
const KILL_GRACE_MS = 1000;

interface Holder {
  child: ChildProcess;
  level: Level;
  startedAt: number;
  /** We asked it to let go: its exit is no failure. */
  releasing: boolean;
  closed: Promise<void>;
}

/**
 * One output line held by gpioset. `set` replaces the gpioset holding the old level by one
 * holding the new (see gpioset-command.ts for why), one replacement at a time and only toward
 * the latest level asked. A gpioset we did not stop is logged as GPIOSET_EXITED and started
 * again with a backoff; nothing here ever throws at the agent after `start`.
 */
export class GpiosetLine {
  private holder: Holder | null = null;
  private desired: Level = 0;
  private running = false;
  private swapping: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private nextDelayMs: number;
  private lastDeathAt = Number.NEGATIVE_INFINITY;
  private lastStderr = '';
  /** The first run's exit is start()'s failure, not a death to restart from. */
  private starting = false;

  constructor(private readonly options: GpiosetLineOptions) {
    this.nextDelayMs = options.restart.initialMs;
  }

  /** Holds the line low; rejects (GPIOSET_START_FAILED, with gpioset's words) if gpioset cannot. */
  async start(): Promise<void> {
    this.running = true;
    this.starting = true;
    const holder = this.spawnHolder(0);
    const exitedEarly = holder.closed.then(() => true);
    const held = sleep(this.options.readyAfterMs).then(() => false);
    const failed = await Promise.race([exitedEarly, held]);
    this.starting = false;
    if (failed) {
      this.running = false;
      throw new GpioUnavailableError(
        `gpioset could not hold ${this.options.lineName} (${this.options.output}): ${this.lastStderr || 'no message'}`,
        'GPIOSET_START_FAILED',
      );
    }
    this.options.logger.info(
      { output: this.options.output, line: this.options.lineName, command: this.options.command },
      `gpioset holds ${this.options.lineName} (${this.options.output})`,
    );
  }

  set(level: Level): void {
    this.desired = level;
    if (this.running && !this.swapping && !this.restartTimer) this.swapping = this.swapToDesired();
  }

  /** Leaves the line low (the player has asked for 0 already), then lets it go. */
  async stop(): Promise<void> {
    this.desired = 0;
    if (this.running && !this.swapping && !this.restartTimer) this.swapping = this.swapToDesired();
    await this.swapping;
    const holder = this.holder;
    const heldFor = holder ? performance.now() - holder.startedAt : Infinity;
    if (this.running && heldFor < this.options.readyAfterMs) await sleep(this.options.readyAfterMs - heldFor);
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.release();
  }

  /** For the agent's `exit` event, when nothing asynchronous can run any more. */
  killNow(): void {
    this.running = false;
    this.holder?.child.kill('SIGKILL');
  }

  get pid(): number | undefined {
    return this.holder?.child.pid;
  }

  private async swapToDesired(): Promise<void> {
    try {
      while (this.running && this.holder?.level !== this.desired) {
        await this.release();
        if (this.running) this.spawnHolder(this.desired);
      }
    } finally {
      this.swapping = null;
    }
  }

  private async release(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    holder.releasing = true;
    const { child } = holder;
    if (child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      if (this.options.runFor(holder.level).releasedByClosingStdin) child.stdin?.end();
      else child.kill('SIGTERM');
      await holder.closed;
      clearTimeout(killer);
    }
    if (this.holder === holder) this.holder = null;
  }

  private spawnHolder(level: Level): Holder {
    const { command } = this.options;
    const { args } = this.options.runFor(level);
    // stdin is a pipe either way: v1 lets go when it ends; v2 ignores it.
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderrTail = '';
    let spawnError: Error | null = null;
    child.on('error', (error) => (spawnError = error));
    child.stdin?.on('error', () => undefined); // a gpioset that died has closed the pipe: nothing to do
    // 'close' waits for every stdio stream, ours included: a v2 gpioset never ends its stdin.
    child.on('exit', () => child.stdin?.destroy());
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const holder: Holder = {
      child,
      level,
      startedAt: performance.now(),
      releasing: false,
      closed: new Promise((resolve) => {
        child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
          this.lastStderr = stderrTail.trim() || spawnError?.message || '';
          if (!holder.releasing) this.died(holder, code, signal);
          resolve();
        });
      }),
    };
    this.holder = holder;
    return holder;
  }

  private died(holder: Holder, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.holder === holder) this.holder = null;
    if (!this.running || this.starting) return;
    const now = performance.now();
    if (now - this.lastDeathAt >= this.options.restart.stableAfterMs)
      this.nextDelayMs = this.options.restart.initialMs;
    this.lastDeathAt = now;
    const delayMs = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.options.restart.maxMs, delayMs * 2);
    this.options.logger.error(
      {
        code: 'GPIOSET_EXITED',
        output: this.options.output,
        line: this.options.lineName,
        exitCode: code,
        signal,
        stderr: this.lastStderr,
        ranMs: Math.round(now - holder.startedAt),
        restartInMs: delayMs,
      },
      `gpioset holding ${this.options.lineName} (${this.options.output}) exited; restarting it`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.running && !this.holder) this.spawnHolder(this.desired);
    }, delayMs);
  }
}
