import type { WriteRegistry } from './write-operation';

export type WriteName<W extends WriteRegistry> = keyof W & string;
export type WriteArgs<W extends WriteRegistry, Name extends WriteName<W>> = Parameters<W[Name]>[1];
export type WriteResult<W extends WriteRegistry, Name extends WriteName<W>> = Awaited<ReturnType<W[Name]>>;

/** One write of a group commit, as it travels to the writer. */
export interface WriteRequest {
  name: string;
  args: unknown;
}

/** What became of one write of a group commit. */
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: WriteError };

/** A failed write's error as it crosses threads (class instances do not). */
export interface WriteError {
  name: string;
  message: string;
  code?: string;
}
