import type { WriteError, WriteOutcome, WriteRequest } from './writes';

/**
 * Batches and outcomes cross as JSON text: copying a string between threads is a memcpy,
 * where the structured clone of a batch of rows cost the event loop more than the JSON.
 * Their values are JSON's (strings, numbers, booleans, null; no undefined, no bigint).
 */
export type Json<T> = string & { readonly __json?: T };

/** What the main thread gives the writer's thread. */
export interface StoreWriterOptions {
  databasePath: string;
}

/** What the main thread asks of the writer's thread. */
export type StoreWriterRequest =
  { kind: 'commit'; id: number; batch: Json<readonly WriteRequest[]> } | { kind: 'stop' };

/** What the writer's thread tells the main thread. */
export type StoreWriterReply =
  /** The connection is open; `synchronous` as SQLite reports it (2: FULL). */
  | { kind: 'ready'; synchronous: number }
  | { kind: 'committed'; id: number; outcomes: Json<WriteOutcome[]> }
  /** The transaction did not commit: nothing of the batch is stored. */
  | { kind: 'failed'; id: number; error: WriteError };
