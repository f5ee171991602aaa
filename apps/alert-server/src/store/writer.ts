import type { WriteOutcome, WriteRequest } from './writes';

/** What commits the store's group commits: a thread of its own, or the main thread (fallback). */
export interface Writer {
  /**
   * Commits the batch in one transaction; resolves once it is durable, with each write's
   * outcome. Rejects when the batch is not known to be stored: nothing of it may be.
   */
  commit(batch: readonly WriteRequest[]): Promise<WriteOutcome[]>;
  /** SQLite's automatic checkpoints on the writing connection: every `pages` pages, or never (0). */
  setAutocheckpoint(pages: number): void;
  close(): Promise<void>;
}

/** The writer's thread failed: the batch it held may or may not be stored. */
export class WriterFailedError extends Error {
  readonly code = 'STORE_WRITER_FAILED';
  constructor(cause: unknown) {
    super(`the store's writer thread failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
