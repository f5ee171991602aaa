import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type {
  CheckpointerOptions,
  CheckpointerReply,
  CheckpointerRequest,
} from './wal-checkpointer.messages';
import { FailureStreak } from './failure-streak';
import { storeScript, workerEntry } from './worker-entry';

/** SQLite's own default: a checkpoint once the WAL holds 1000 pages. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
/** Often enough to keep the WAL to a few megabytes at the highest ingestion rate measured. */
const DEFAULT_INTERVAL_MS = 250;
/** 16 MiB of 4 KiB pages: a second or two of the highest ingestion rate measured. */
const RESTART_AT_FRAMES = 4096;
/** A checkpoint copies a few megabytes; far longer means the thread is stuck. */
const CHECKPOINT_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface WalCheckpointerOptions {
  /** The least time between two checkpoints while writes go on. */
  intervalMs?: number;
  /** WAL frames past which the writes are held for a last copy, so the WAL starts over. */
  restartAtFrames?: number;
  /** The worker script; only tests give another one. */
  workerFile?: string;
}

/** The writing connection's automatic checkpoints, wherever that connection lives. */
export interface AutocheckpointControl {
  setAutocheckpoint(pages: number): void;
}

export interface CheckpointReport {
  framesInLog: number;
  framesCopied: number;
  at: Date;
}

export interface CheckpointFailure {
  /** SQLite's code: `SQLITE_FULL` when the database file could not grow. */
  code: string;
  message: string;
  at: Date;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits
 * also checkpoints, every 1000 pages: it copies the log into the database file and fsyncs
 * both, holding the event loop (and every request behind it) for milliseconds several times
 * a second under load. Here a worker thread with its own connection checkpoints, and the
 * writer's automatic checkpoints are turned off once that thread is running.
 *
 * The store asks for a checkpoint between two group commits and holds the next commit until
 * it is done (`checkpointIfDue`): requests keep being read and validated meanwhile, only the
 * writes wait. Without that pause the checkpoint would never catch up with a busy writer, and
 * the WAL, which restarts from its beginning only once fully copied, would grow without end.
 * A checkpoint that fails (a full disk: the database file cannot grow) is reported, logged and
 * tried again at the next interval, so checkpoints resume by themselves once space is back; the
 * WAL keeps every frame meanwhile. If the thread itself dies or hangs, the writer's automatic
 * checkpoints come back: slower, never unsafe.
 */
export class WalCheckpointer {
  private readonly logger = new Logger('Store');
  private readonly worker: Worker;
  private readonly intervalMs: number;
  private readonly restartAtFrames: number;
  private readonly exited: Promise<void>;
  private stopping = false;
  private step: 'idle' | 'copying' | 'copied' | 'finishing' = 'idle';
  private lastFinishedMs = 0;
  private nextId = 1;
  private waiting: { id: number; resolve: (report: CheckpointReport | null) => void } | null = null;
  private readonly failures = new FailureStreak(this.logger);
  /** True while the worker checkpoints and the writer does not. */
  active = false;
  /** The last checkpoint; for diagnostics and tests. */
  lastCheckpoint: CheckpointReport | null = null;
  /** The last checkpoint that failed, until one succeeds; for diagnostics and tests. */
  lastFailure: CheckpointFailure | null = null;

  constructor(
    databasePath: string,
    private readonly writer: AutocheckpointControl,
    options: WalCheckpointerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.restartAtFrames = options.restartAtFrames ?? RESTART_AT_FRAMES;
    const workerData: CheckpointerOptions = { databasePath };
    const entry = workerEntry(storeScript('wal-checkpointer.worker'), options.workerFile);
    this.worker = new Worker(entry.file, { workerData, execArgv: entry.execArgv });
    // The server's life is decided by its HTTP server and signals, never by this thread.
    this.worker.unref();
    this.worker.on('message', (reply: CheckpointerReply) => this.onReply(reply));
    this.worker.on('error', (error) => this.fallBack(error));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (!this.stopping) this.fallBack(new Error(`the checkpointer thread exited with code ${code}`));
        resolve();
      });
    });
  }

  /**
   * Called by the store between two group commits; the store holds its next commit until this
   * resolves. A due checkpoint copies the WAL while commits go on (not waited for). The WAL
   * starts over from its beginning only when a commit finds it fully copied, which never
   * happens while another commit always lands during the copy: so once it holds
   * `restartAtFrames`, the next call also waits for a short copy of the last frames, with
   * the writes held. Never rejects: a failed checkpoint is tried again at the next interval,
   * and a failed thread falls back to the writer's checkpoints.
   */
  checkpointIfDue(): Promise<void> {
    if (!this.active) return Promise.resolve();
    if (this.step === 'idle' && performance.now() - this.lastFinishedMs >= this.intervalMs) {
      this.step = 'copying';
      void this.request().then((report) => {
        if (this.step !== 'copying') return;
        if (report !== null && report.framesInLog >= this.restartAtFrames) {
          this.step = 'copied';
        } else {
          this.step = 'idle';
          this.lastFinishedMs = performance.now();
        }
      });
    } else if (this.step === 'copied') {
      this.step = 'finishing';
      return this.request().then(() => {
        this.step = 'idle';
        this.lastFinishedMs = performance.now();
      });
    }
    return Promise.resolve();
  }

  /** Resolves with the checkpoint's report, or null if it failed or the thread stopped. */
  private request(): Promise<CheckpointReport | null> {
    const id = this.nextId++;
    return new Promise<CheckpointReport | null>((resolve) => {
      const timeout = setTimeout(
        () => this.fallBack(new Error(`no checkpoint within ${CHECKPOINT_TIMEOUT_MS} ms`)),
        CHECKPOINT_TIMEOUT_MS,
      );
      this.waiting = {
        id,
        resolve: (report) => {
          clearTimeout(timeout);
          this.waiting = null;
          resolve(report);
        },
      };
      this.send({ kind: 'checkpoint', id });
    });
  }

  /** Ends the thread (before the writer's connection closes, which then checkpoints last). */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.active = false;
      this.waiting?.resolve(null);
      this.send({ kind: 'stop' });
    }
    const timeout = setTimeout(() => void this.worker.terminate(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timeout);
  }

  private send(request: CheckpointerRequest): void {
    this.worker.postMessage(request);
  }

  private onReply(reply: CheckpointerReply): void {
    if (this.stopping) return;
    if (reply.kind === 'ready') {
      this.writer.setAutocheckpoint(0);
      this.active = true;
      return;
    }
    if (reply.kind === 'failed') {
      this.lastFailure = { code: reply.code, message: reply.message, at: new Date() };
      this.failures.failed(
        { code: 'WAL_CHECKPOINT_FAILED', reason: reply.code, detail: reply.message },
        'a WAL checkpoint failed: the WAL keeps growing until one succeeds; tried again at the next interval',
      );
      if (this.waiting?.id === reply.id) this.waiting.resolve(null);
      return;
    }
    const report = { framesInLog: reply.framesInLog, framesCopied: reply.framesCopied, at: new Date() };
    this.lastCheckpoint = report;
    this.lastFailure = null;
    this.failures.recovered({ code: 'WAL_CHECKPOINTS_RESUMED' }, 'WAL checkpoints succeed again');
    if (this.waiting?.id === reply.id) this.waiting.resolve(report);
  }

  private fallBack(error: unknown): void {
    if (this.stopping) return;
    this.stopping = true;
    this.active = false;
    this.writer.setAutocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT);
    this.waiting?.resolve(null);
    this.logger.warn(
      { code: 'WAL_CHECKPOINTER_FAILED', err: error },
      'the WAL checkpointer thread failed: checkpoints are back on the event loop (slower, still safe)',
    );
    void this.worker.terminate();
  }
}
