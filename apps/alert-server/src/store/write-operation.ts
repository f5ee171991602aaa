import type { Migration, Transaction } from 'kysely';

/**
 * A named write: runs inside a group commit's transaction, on whichever thread holds the
 * writer's connection. Arguments and results cross threads, so both are plain data
 * (structured-cloneable: no functions, no class instances); the operation itself is looked
 * up by name in the registry on the writer's side.
 */
export type WriteOperation<DB, Args, Result> = (trx: Transaction<DB>, args: Args) => Promise<Result>;

/**
 * Every write a store runs, by name. The application composes it from its features' writes;
 * `any` because each operation is typed with the application's tables, which the store does
 * not know.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WriteRegistry = Record<string, WriteOperation<any, never, unknown>>;

/**
 * What an application gives its store: its writes, its migrations, and the script of its
 * writer thread. The writer runs in a worker thread, which cannot be handed functions: the
 * script imports the same registry and calls `runWriterThread` with its writes. `DB` (the
 * application's tables) types the store's queries.
 */
export interface StoreRegistry<DB, W extends WriteRegistry> {
  writes: W;
  /** Versioned schema changes, applied in the order of their names at start-up. */
  migrations: Record<string, Migration>;
  /** The writer thread's script, without its extension (`.ts` from the sources, `.js` built). */
  writerThread: string;
  /** Only carries the tables' type. */
  readonly tables?: DB;
}
