import { Worker } from 'node:worker_threads';
import { fromWriteError } from './group-commit';
import type { StoreWriterOptions, StoreWriterReply, StoreWriterRequest } from './store-writer.messages';
import { Writer, WriterFailedError, WriterState } from './writer';
import type { WriteOutcome, WriteRequest } from './writes';
import { workerEntry } from './worker-entry';

const STOP_TIMEOUT_MS = 5_000;

export interface ThreadWriterOptions {
  /** The application's writer script, without its extension (see `StoreRegistry`). */
  script: string;
  /** A script to run as it is instead; only tests give one. */
  workerFile?: string;
  /** Called once if the thread fails after it started; the store then writes on the main thread. */
  onFailure?: (error: WriterFailedError) => void;
}

interface InFlight {
  resolve: (outcomes: WriteOutcome[]) => void;
  reject: (error: Error) => void;
}

/**
 * Group commits on a thread of their own. Under load the SQLite work of a commit (a few
 * hundred microseconds per alert: the row, five indexes, the device's last-seen) and the
 * WAL's fsync were the largest share of the event loop's time; here the loop only posts the
 * batch and reads the outcomes, and goes on parsing, checking and answering meanwhile.
 */
export class ThreadWriter implements Writer {
  private readonly worker: Worker;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly exited: Promise<void>;
  private nextId = 1;
  private stopping = false;
  private failed = false;
  /** The thread's connection as it reported itself on start. */
  readonly state: WriterState = { kind: 'thread', synchronous: null };
  /** Resolves once the thread's connection is open; rejects if the thread cannot start. */
  readonly ready: Promise<void>;

  constructor(
    databasePath: string,
    private readonly options: ThreadWriterOptions,
  ) {
    const workerData: StoreWriterOptions = { databasePath };
    const entry = workerEntry(options.script, options.workerFile);
    this.worker = new Worker(entry.file, { workerData, execArgv: entry.execArgv });
    // The server's life is decided by its HTTP server and signals, never by this thread.
    this.worker.unref();
    let started: () => void;
    let notStarted: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      notStarted = reject;
    });
    this.worker.on('message', (reply: StoreWriterReply) => {
      if (reply.kind === 'ready') {
        this.state.synchronous = reply.synchronous;
        started();
      } else {
        this.onReply(reply);
      }
    });
    this.worker.on('error', (error) => {
      notStarted(error);
      this.fail(error);
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        const error = new Error(`the writer thread exited with code ${code}`);
        notStarted(error);
        if (!this.stopping) this.fail(error);
        resolve();
      });
    });
  }

  commit(batch: readonly WriteRequest[]): Promise<WriteOutcome[]> {
    if (this.failed || this.stopping) return Promise.reject(new WriterFailedError('it is stopped'));
    const id = this.nextId++;
    return new Promise<WriteOutcome[]>((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject });
      this.send({ kind: 'commit', id, batch: JSON.stringify(batch) });
    });
  }

  /** After the last commit: the thread closes its connection and ends. */
  async close(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      if (!this.failed) this.send({ kind: 'stop' });
    }
    const timeout = setTimeout(() => void this.worker.terminate(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timeout);
  }

  private send(request: StoreWriterRequest): void {
    this.worker.postMessage(request);
  }

  private onReply(reply: Exclude<StoreWriterReply, { kind: 'ready' }>): void {
    const waiting = this.inFlight.get(reply.id);
    if (!waiting) return;
    this.inFlight.delete(reply.id);
    if (reply.kind === 'committed') waiting.resolve(JSON.parse(reply.outcomes) as WriteOutcome[]);
    else waiting.reject(fromWriteError(reply.error));
  }

  private fail(cause: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const error = new WriterFailedError(cause);
    for (const waiting of this.inFlight.values()) waiting.reject(error);
    this.inFlight.clear();
    void this.worker.terminate();
    if (!this.stopping) this.options.onFailure?.(error);
  }
}
