import type { Transaction } from 'kysely';
import type { Database } from './schema';

/**
 * A named write: runs inside a group commit's transaction, on whichever thread holds the
 * writer's connection. Arguments and results cross threads, so both are plain data
 * (structured-cloneable: no functions, no class instances); the operation itself is looked
 * up by name in `WRITES` on the writer's side.
 */
export type WriteOperation<Args, Result> = (trx: Transaction<Database>, args: Args) => Promise<Result>;
