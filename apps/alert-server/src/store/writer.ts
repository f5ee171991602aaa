import type { WriteOutcome, WriteRequest } from './writes';

/** Where commits run, and the writing connection's settings as SQLite reports them. */
export interface WriterState {
  kind: 'thread' | 'main';
  /** 2: FULL, 1: NORMAL; null until the thread has reported it. */
  synchronous: number | null;
}

/** What commits the store's group commits: a thread of its own, or the main thread (fallback). */
export interface Writer {
  /** For diagnostics and tests. */
  readonly state: WriterState;
  /**
   * Commits the batch in one transaction; resolves once it is durable, with each write's
   * outcome. Rejects when the batch is not known to be stored: nothing of it may be.
   */
  commit(batch: readonly WriteRequest[]): Promise<WriteOutcome[]>;
  close(): Promise<void>;
}

/** The writer's thread failed: the batch it held may or may not be stored. */
export class WriterFailedError extends Error {
  readonly code = 'STORE_WRITER_FAILED';
  constructor(cause: unknown) {
    super(`the store's writer thread failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
